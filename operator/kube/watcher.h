// Watches one collection with error recovery: list (paged), then watch from
// the list's resourceVersion with bookmarks; relist on 410 Gone / Expired;
// reconnect with jittered exponential backoff on transport errors.
// Feeds an ObjectStore and a handler from one thread; Stop() is thread-safe.
#pragma once
#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "base/backoff.h"
#include "kube/kube_client.h"
#include "kube/object_store.h"

namespace keyward {

struct WatcherHandler {
  std::function<void(const ObjectPtr&)> on_apply;       // added or modified
  // The key of every object of a (re)list, unchanged or not, once the store
  // holds the list; on_apply when unset.
  std::function<void(std::string key)> on_list_item;
  std::function<void(const std::string& key)> on_delete;  // deleted (or gone at relist)
  std::function<void()> on_listed;                      // after each (re)list
  // Each object of the first list as its page is read (stripped JSON
  // text), before the store holds the list and while the next page is
  // fetched: to index at the pace of the list. A list that fails and starts
  // over calls it again for every object.
  std::function<void(const std::string& text)> on_first_list_item;
};

struct WatcherConfig {
  int page_size = 500;                       // like client-go
  int watch_timeout_seconds = 290;           // server closes the watch; we resume from the last rv
  std::chrono::milliseconds backoff_min{200};
  std::chrono::milliseconds backoff_max{30000};
  std::string label_selector;
  bool metadata_only = false;  // cache PartialObjectMetadata, not whole objects
};

class Watcher {
 public:
  Watcher(KubeClient& client, ResourcePath collection, ObjectStore& store,
          WatcherHandler handler, WatcherConfig config = {});
  ~Watcher();
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  void Start();
  void Stop();

  // Counters for tests and metrics.
  int lists() const { return lists_.load(); }
  int watches() const { return watches_.load(); }
  std::string resource_version() const;

  // One list (all pages) into the store. Returns false on error.
  bool ListOnce();
  enum class WatchEnd { kClosed, kGone, kFailed };
  // One watch request from the current resourceVersion until it ends:
  // closed by the server (resume), Gone (relist), or failed (back off).
  WatchEnd WatchOnce();

 private:
  void Run();
  // Every page of one list into |items|; the list's resourceVersion in |rv|.
  bool ListPages(std::vector<StoredObject>* items, std::string* rv);
  ListOptions FirstPage() const;
  void Sleep(std::chrono::milliseconds d);
  std::chrono::milliseconds NextBackoff();

  KubeClient& client_;
  const ResourcePath collection_;
  ObjectStore& store_;
  const WatcherHandler handler_;
  const WatcherConfig config_;

  mutable std::mutex mu_;
  std::string resource_version_;  // "" = must (re)list
  Backoff backoff_{BackoffPolicy{config_.backoff_min, config_.backoff_max, 0.2}};
  std::atomic<int> lists_{0}, watches_{0};
  std::atomic<bool> stopping_{false};
  pplx::cancellation_token_source cancel_;
  std::condition_variable stop_cv_;
  std::thread thread_;
};

}  // namespace keyward
