// Pod owners from a metadata-only watch of pods and ReplicaSets
// (PartialObjectMetadata): a check resolves owners with no API call.
#pragma once
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "check/owner_resolver.h"
#include "kube/object_store.h"
#include "kube/watcher.h"

namespace keyward {

class OwnerCache : public OwnerResolver {
 public:
  // Watches pods and ReplicaSets in |namespaces| (empty: all namespaces).
  OwnerCache(KubeClient& client, std::vector<std::string> namespaces);
  ~OwnerCache() override;
  OwnerCache(const OwnerCache&) = delete;
  OwnerCache& operator=(const OwnerCache&) = delete;

  void Start();
  void Stop();
  // Every watch holds its first list.
  bool Ready() const;

  // kPodNotFound when the pod is not in the cache: a pod created this
  // instant may be missed until its watch event arrives (milliseconds).
  OwnerLookup Resolve(const std::string& namespace_name, const std::string& pod) override;

 private:
  ObjectPtr Find(const std::vector<std::unique_ptr<ObjectStore>>& stores,
                 const std::string& key) const;

  KubeClient& client_;
  const std::vector<std::string> namespaces_;
  std::vector<std::unique_ptr<ObjectStore>> pods_, replica_sets_;
  std::vector<std::unique_ptr<Watcher>> watchers_;
};

}  // namespace keyward
