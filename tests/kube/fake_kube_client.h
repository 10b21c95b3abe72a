// An in-memory KubeClient for unit tests: objects keyed by URL, a global
// resourceVersion, optimistic concurrency on Update, JSON merge patch, and
// scripted watch streams. Thread-safe.
#pragma once
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <vector>

#include "kube/kube_client.h"

namespace keyward {

class FakeKubeClient : public KubeClient {
 public:
  struct Call {
    std::string verb;  // get, list, create, update, patch, delete, watch
    std::string url;
  };
  // One scripted watch: events delivered in order, then the given status.
  struct WatchScript {
    std::vector<std::pair<std::string, web::json::value>> events;
    KubeStatus end{200, "", ""};
  };

  KubeResult Get(const ResourcePath& path) override;
  KubeResult List(const ResourcePath& path, const ListOptions& options) override;
  KubeResult Create(const ResourcePath& path, const web::json::value& object) override;
  KubeResult Update(const ResourcePath& path, const web::json::value& object) override;
  KubeResult MergePatch(const ResourcePath& path, const web::json::value& patch) override;
  KubeResult Delete(const ResourcePath& path, const DeleteOptions& options) override;
  KubeStatus Watch(const ResourcePath& path, const WatchOptions& options,
                   const WatchHandler& handler, pplx::cancellation_token cancel) override;

  // Test controls.
  // Runs at the start of every get, list, create, update, patch and delete,
  // outside the lock (a test advances a fake clock there to make a call
  // "hang"). Set before the client is shared between threads.
  std::function<void(const std::string& verb)> before_call;
  void Put(const ResourcePath& path, web::json::value object);  // bypasses checks
  web::json::value Object(const ResourcePath& path) const;       // null if absent
  bool Has(const ResourcePath& path) const;
  void FailNext(const std::string& verb, KubeStatus status);
  void AddWatch(WatchScript script);
  std::vector<Call> Calls() const;
  int CountCalls(const std::string& verb) const;
  std::string resource_version() const;

 private:
  KubeStatus TakeFailure(const std::string& verb);
  void Record(const std::string& verb, const std::string& url);
  std::string Bump();

  mutable std::mutex mu_;
  std::map<std::string, web::json::value> objects_;  // by item URL
  std::map<std::string, std::deque<KubeStatus>> failures_;
  std::deque<WatchScript> watches_;
  std::vector<Call> calls_;
  long rv_ = 100;
};

}  // namespace keyward
