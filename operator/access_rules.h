// Access rules of an ApiKey and the pure decision "may this key do X on Y?".
// No I/O, no clock of its own: the time is a parameter. Thread-safe.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "time_format.h"

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

// What a key's decision depends on besides the target.
struct KeyPolicy {
  std::vector<AccessRule> rules;
  bool disabled = false;
  std::optional<TimePoint> expires_at;
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

struct Decision {
  bool allowed = false;
  std::string reason;             // human readable; never contains a key
  int rule_index = -1;            // the rule that allowed, or -1
  std::optional<Scope> scope;     // scope of that rule
  std::optional<std::string> filter;  // for scope filter: the filter to apply
};

// Evaluates |policy| for |target| at |now|: disabled and expired keys are
// denied first; otherwise the first rule that allows wins (rules are OR-ed).
Decision Decide(const KeyPolicy& policy, const AccessTarget& target, TimePoint now);

// Whether a single rule allows |target|; on denial *why says which part
// did not match.
bool RuleAllows(const AccessRule& rule, const AccessTarget& target, std::string* why);

}  // namespace keyward
