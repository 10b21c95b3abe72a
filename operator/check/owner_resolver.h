// Who owns a pod, resolved by keyward itself from ownerReferences: the set
// (ReplicaSet, StatefulSet, DaemonSet) and the Deployment behind a ReplicaSet.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "keys/access_rules.h"
#include "kube/kube_client.h"
#include "kube/object_store.h"

namespace keyward {

struct PodOwner {
  std::optional<SetType> set_type;  // kReplica, kStateful or kDaemon; none for bare pods, Jobs
  std::string set_name;
  std::string deployment;  // when the ReplicaSet is owned by a Deployment
};

struct OwnerLookup {
  enum class Outcome { kFound, kPodNotFound, kUnavailable } outcome = Outcome::kFound;
  PodOwner owner;
  std::string error;  // kUnavailable: why (an API status)
};

// The narrow interface the decision service asks; a fake in tests, the API
// today, a metadata watch cache later.
class OwnerResolver {
 public:
  virtual ~OwnerResolver() = default;
  virtual OwnerLookup Resolve(const std::string& namespace_name, const std::string& pod) = 0;
};

// Reads the pod (and its ReplicaSet) from the API server on every call.
class ApiOwnerResolver : public OwnerResolver {
 public:
  explicit ApiOwnerResolver(KubeClient& client) : client_(client) {}
  OwnerLookup Resolve(const std::string& namespace_name, const std::string& pod) override;

 private:
  KubeClient& client_;
};

// The controlling owner (kind, name) among an object's ownerReferences; a
// missing or malformed list gives none.
std::optional<std::pair<std::string, std::string>> ControllerOf(const web::json::value& obj);

// The owner of a pod from its metadata and a lookup of ReplicaSet metadata
// by name (null when not known). Pure; exposed for tests.
PodOwner OwnerFromMetadata(const web::json::value& pod,
                           const std::function<ObjectPtr(const std::string& rs_name)>& replica_set);

}  // namespace keyward
