#include "kube/watcher.h"
#include "kube/json_fields.h"
#include "kube/list_page.h"

#include <spdlog/spdlog.h>

#include <future>
#include <random>

namespace keyward {

Watcher::Watcher(KubeClient& client, ResourcePath collection, ObjectStore& store,
                 WatcherHandler handler, WatcherConfig config)
    : client_(client),
      collection_(std::move(collection)),
      store_(store),
      handler_(std::move(handler)),
      config_(std::move(config)) {}

Watcher::~Watcher() { Stop(); }

void Watcher::Start() { thread_ = std::thread([this] { Run(); }); }

void Watcher::Stop() {
  if (stopping_.exchange(true)) {
    if (thread_.joinable()) thread_.join();
    return;
  }
  cancel_.cancel();
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string Watcher::resource_version() const {
  std::lock_guard lock(mu_);
  return resource_version_;
}

std::chrono::milliseconds Watcher::NextBackoff() {
  // +-20% jitter so replicas do not reconnect in lockstep after an outage.
  return backoff_.Next();
}

void Watcher::Sleep(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  stop_cv_.wait_for(lock, d, [this] { return stopping_.load(); });
}

// Each page is read as text in one pass (RapidJSON, no cpprestsdk tree of
// the whole page), its items stripped and moved into the form the store
// keeps (a compact store's packed text) page by page, so a long list never
// holds every object's tree at once; the next page is fetched meanwhile.
bool Watcher::ListPages(std::vector<StoredObject>* items, std::string* rv) {
  ListOptions options = FirstPage();
  KubeTextResult page = client_.ListText(collection_, options);
  bool unpaged = false;
  for (;;) {
    std::string error;
    std::optional<ListPage> read;
    if (page.status.ok()) {
      read = ParseListPage(std::move(page.body), store_.list_fields(), &error);
    } else {
      error = page.status.String();
    }
    if (!read && page.status.Gone() && !options.continue_token.empty() && !unpaged && !stopping_) {
      // The continue token expired mid-list (paging outlasted etcd's
      // compaction): start over at once as one unpaged list, which cannot
      // expire the same way, instead of failing and paging again.
      spdlog::warn("list {}: the continue token expired after {} objects; listing again without pages",
                   collection_.Url(), items->size());
      items->clear();
      unpaged = true;
      options = FirstPage();
      options.limit = 0;
      page = client_.ListText(collection_, options);
      continue;
    }
    if (!read) {
      spdlog::warn("list {} failed: {}", collection_.Url(), error);
      return false;
    }
    options.continue_token = read->continue_token;
    if (!read->resource_version.empty()) *rv = read->resource_version;
    std::future<KubeTextResult> next;
    if (!options.continue_token.empty() && !stopping_) {
      next = std::async(std::launch::async,
                        [this, options] { return client_.ListText(collection_, options); });
    }
    const bool first = lists_ == 0 && handler_.on_first_list_item;
    for (PageItem& item : read->items) {
      if (first) handler_.on_first_list_item(item.text);
      items->push_back(store_.KeepText(std::move(item)));
    }
    if (!next.valid()) return !stopping_;
    page = next.get();
  }
}

ListOptions Watcher::FirstPage() const {
  ListOptions options;
  options.limit = config_.page_size;
  options.label_selector = config_.label_selector;
  options.metadata_only = config_.metadata_only;
  return options;
}

bool Watcher::ListOnce() {
  std::vector<StoredObject> items;
  std::string rv;
  if (!ListPages(&items, &rv)) return false;

  std::vector<std::string> listed;
  listed.reserve(items.size());
  for (const auto& item : items) listed.push_back(item.key);
  std::vector<std::string> gone = store_.Replace(std::move(items));
  {
    std::lock_guard lock(mu_);
    resource_version_ = rv;
  }
  ++lists_;
  spdlog::info("listed {}: {} objects at resourceVersion {}", collection_.Url(), listed.size(), rv);
  for (const auto& key : gone) {
    if (handler_.on_delete) handler_.on_delete(key);
  }
  for (auto& key : listed) {
    if (handler_.on_list_item) {
      handler_.on_list_item(std::move(key));  // the queue keeps it: no copy
    } else if (handler_.on_apply) {
      if (ObjectPtr o = store_.Get(key)) handler_.on_apply(o);
    }
  }
  if (handler_.on_listed) handler_.on_listed();
  return true;
}

Watcher::WatchEnd Watcher::WatchOnce() {
  WatchOptions options;
  options.resource_version = resource_version();
  options.timeout_seconds = config_.watch_timeout_seconds;
  options.allow_bookmarks = true;
  options.label_selector = config_.label_selector;
  options.metadata_only = config_.metadata_only;
  bool gone = false;
  bool got_event = false;
  auto handler = [&](const std::string& type, const web::json::value& object) {
    if (type == "ERROR") {
      auto code = JsonInt(object, {"code"}).value_or(0);
      std::string reason = JsonStringOr(object, {"reason"});
      spdlog::info("watch {} ended by server: {} {}", collection_.Url(), code, reason);
      gone = code == 410 || reason == "Expired" || reason == "Gone";
      return false;
    }
    got_event = true;
    std::string rv = JsonStringOr(object, {"metadata", "resourceVersion"});
    if (type == "ADDED" || type == "MODIFIED") {
      web::json::value kept = object;
      StripForCache(kept);
      auto ptr = std::make_shared<const web::json::value>(std::move(kept));
      store_.Apply(ptr);
      if (handler_.on_apply) handler_.on_apply(ptr);
    } else if (type == "DELETED") {
      std::string key = ObjectKey(object);
      store_.Delete(key);
      if (handler_.on_delete) handler_.on_delete(key);
    }
    // BOOKMARK only moves the resourceVersion forward.
    if (!rv.empty()) {
      std::lock_guard lock(mu_);
      resource_version_ = rv;
    }
    return !stopping_.load();
  };
  ++watches_;
  auto started = std::chrono::steady_clock::now();
  KubeStatus status = client_.Watch(collection_, options, handler, cancel_.get_token());
  if (gone || status.Gone()) {
    std::lock_guard lock(mu_);
    resource_version_.clear();  // too old: relist
    return WatchEnd::kGone;
  }
  if (!status.ok()) {
    if (!stopping_) spdlog::warn("watch {} failed: {}", collection_.Url(), status.String());
    return WatchEnd::kFailed;
  }
  // A watch the server closes at once, with nothing in it, is treated as a
  // failure so a misbehaving server cannot make us spin.
  if (!got_event && std::chrono::steady_clock::now() - started < std::chrono::seconds(1)) {
    return WatchEnd::kFailed;
  }
  return WatchEnd::kClosed;
}

void Watcher::Run() {
  while (!stopping_) {
    if (resource_version().empty()) {
      if (ListOnce()) {
        backoff_.Reset();
      } else if (!stopping_) {
        Sleep(NextBackoff());
      }
      continue;
    }
    switch (WatchOnce()) {
      case WatchEnd::kClosed:
        backoff_.Reset();
        break;
      case WatchEnd::kGone:
        break;  // relist at once
      case WatchEnd::kFailed:
        if (!stopping_) Sleep(NextBackoff());
        break;
    }
  }
}

}  // namespace keyward
