// Access rules of an ApiKey (spec.access) and the target a request names.
// Plain data; the decision over them is in key_policy.h.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>


namespace keyward {

enum class Scope { kCluster, kNamespace, kSet, kPod, kContainer, kFilter };
enum class SetType { kReplica, kStateful, kDaemon, kDeployment };

std::optional<Scope> ParseScope(std::string_view s);
std::optional<SetType> ParseSetType(std::string_view s);
const char* ScopeName(Scope scope);
const char* SetTypeName(SetType type);

// One entry of spec.access. Lists hold anchored globs (see glob.h).
struct AccessRule {
  Scope scope = Scope::kNamespace;
  std::vector<std::string> namespaces;
  std::optional<SetType> set_type;
  std::vector<std::string> sets;
  std::vector<std::string> pods;
  std::vector<std::string> containers;
  std::string filter;
  std::vector<std::string> actions{"log"};
};

// The thing a request wants to touch. Owner fields are resolved by the
// operator from the pod's ownerReferences, never taken from the client.
struct AccessTarget {
  std::string namespace_name;
  std::string pod;
  std::string container;
  std::optional<SetType> set_type;  // kReplica, kStateful or kDaemon
  std::string set_name;
  std::string deployment;  // set when the pod's ReplicaSet is owned by a Deployment
  std::string action = "log";
};

}  // namespace keyward
