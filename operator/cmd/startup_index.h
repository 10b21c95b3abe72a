// Fills the key index from the ApiKeys' status before keyward serves: each
// key as its list page is read (overlapping the list), the keys that wait
// for a template once the templates are listed. Ready means every Active
// permanent key answers at once.
#pragma once
#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include <cpprest/json.h>

#include "cmd/template_watches.h"
#include "keys/key_index.h"
#include "kube/manager.h"

namespace keyward {

class StartupIndex {
 public:
  explicit StartupIndex(KeyIndex* index) : index_(index) {}

  // Manager's on_first_list_item: any thread, several at once.
  void Listed(const web::json::value& apikey);
  // Manager's on_synced: the keys with spec.templateRef, once the templates
  // are listed (30 s at most); and no key of an ApiKey the caches no longer
  // hold (deleted while a failed list was started over).
  void Finish(const Manager& manager, const TemplateWatches& templates);

 private:
  KeyIndex* const index_;
  std::atomic<std::size_t> indexed_{0};
  std::mutex mu_;
  std::vector<std::string> with_template_;  // "namespace/name"
};

}  // namespace keyward
