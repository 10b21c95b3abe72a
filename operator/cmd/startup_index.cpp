#include "cmd/startup_index.h"

#include <malloc.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

#include "api/apikey_policy.h"
#include "kube/object_store.h"

namespace keyward {

void StartupIndex::Listed(const web::json::value& apikey) {
  const bool with_template = apikey.has_field("spec") && apikey.at("spec").is_object() &&
                             apikey.at("spec").has_field("templateRef");
  if (with_template) {
    std::lock_guard lock(mu_);
    with_template_.push_back(ObjectKey(apikey));
    return;
  }
  if (IndexSynced(apikey, index_, Clock::now(), {})) ++indexed_;
}

void StartupIndex::Finish(const Manager& manager, const TemplateWatches& templates) {
  // A list that failed part-way and started over may have shown an ApiKey
  // that was deleted before the list that counts.
  const std::size_t dropped =
      index_->RetainApiKeys([&manager](const std::string& key) { return manager.Contains(key); });
  std::vector<std::string> waiting;
  {
    std::lock_guard lock(mu_);
    waiting.swap(with_template_);
  }
  if (!waiting.empty()) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!templates.TemplatesSynced() && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!templates.TemplatesSynced()) {
      spdlog::warn("ApiKeyTemplates not listed within 30 s (are the template CRDs installed and "
                   "readable?): keys with spec.templateRef wait for their reconcile");
    }
    const TemplateLookup lookup = templates.Lookup();
    for (const std::string& key : waiting) {
      if (ObjectPtr apikey = manager.Get(key)) {
        if (IndexSynced(*apikey, index_, Clock::now(), lookup)) ++indexed_;
      }
    }
  }
  // The list's pages are gone: give their memory back, and say what is
  // live and what malloc still keeps (glibc).
  malloc_trim(0);
  struct mallinfo2 heap = mallinfo2();
  spdlog::info("indexed {} permanent keys from their status before serving, {} of them from a "
               "template ({} dropped: deleted during the list) (heap: {} MiB in use, {} MiB free)",
               indexed_.load(), waiting.size(), dropped, heap.uordblks >> 20, heap.fordblks >> 20);
}

}  // namespace keyward
