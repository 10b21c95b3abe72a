#include "check/owner_cache.h"

namespace keyward {

OwnerCache::OwnerCache(KubeClient& client, std::vector<std::string> namespaces)
    : client_(client), namespaces_(std::move(namespaces)) {}

OwnerCache::~OwnerCache() { Stop(); }

void OwnerCache::Start() {
  std::vector<std::string> scopes = namespaces_;
  if (scopes.empty()) scopes.push_back("");
  WatcherConfig config;
  config.metadata_only = true;
  for (const std::string& ns : scopes) {
    pods_.push_back(std::make_unique<ObjectStore>());
    replica_sets_.push_back(std::make_unique<ObjectStore>());
    watchers_.push_back(std::make_unique<Watcher>(client_, ResourcePath{"v1", "pods", ns, "", ""},
                                                  *pods_.back(), WatcherHandler{}, config));
    watchers_.push_back(std::make_unique<Watcher>(
        client_, ResourcePath{"apps/v1", "replicasets", ns, "", ""}, *replica_sets_.back(),
        WatcherHandler{}, config));
  }
  for (auto& w : watchers_) w->Start();
}

void OwnerCache::Stop() {
  for (auto& w : watchers_) w->Stop();
}

bool OwnerCache::Ready() const {
  for (const auto& s : pods_) {
    if (!s->ready()) return false;
  }
  for (const auto& s : replica_sets_) {
    if (!s->ready()) return false;
  }
  return !pods_.empty();
}

ObjectPtr OwnerCache::Find(const std::vector<std::unique_ptr<ObjectStore>>& stores,
                           const std::string& key) const {
  for (const auto& s : stores) {
    if (ObjectPtr o = s->Get(key)) return o;
  }
  return nullptr;
}

OwnerLookup OwnerCache::Resolve(const std::string& ns, const std::string& pod_name) {
  OwnerLookup r;
  ObjectPtr pod = Find(pods_, ns + "/" + pod_name);
  if (!pod) {
    r.outcome = OwnerLookup::Outcome::kPodNotFound;
    return r;
  }
  r.owner = OwnerFromMetadata(*pod, [&](const std::string& rs) { return Find(replica_sets_, ns + "/" + rs); });
  return r;
}

}  // namespace keyward
