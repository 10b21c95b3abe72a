#include "access_rules.h"

#include <algorithm>

#include "glob.h"

namespace keyward {

std::optional<Scope> ParseScope(std::string_view s) {
  if (s == "cluster") return Scope::kCluster;
  if (s == "namespace") return Scope::kNamespace;
  if (s == "set") return Scope::kSet;
  if (s == "pod") return Scope::kPod;
  if (s == "container") return Scope::kContainer;
  if (s == "filter") return Scope::kFilter;
  return std::nullopt;
}

std::optional<SetType> ParseSetType(std::string_view s) {
  if (s == "replica") return SetType::kReplica;
  if (s == "stateful") return SetType::kStateful;
  if (s == "daemon") return SetType::kDaemon;
  if (s == "deployment") return SetType::kDeployment;
  return std::nullopt;
}

const char* ScopeName(Scope scope) {
  switch (scope) {
    case Scope::kCluster: return "cluster";
    case Scope::kNamespace: return "namespace";
    case Scope::kSet: return "set";
    case Scope::kPod: return "pod";
    case Scope::kContainer: return "container";
    case Scope::kFilter: return "filter";
  }
  return "unknown";
}

const char* SetTypeName(SetType type) {
  switch (type) {
    case SetType::kReplica: return "replica";
    case SetType::kStateful: return "stateful";
    case SetType::kDaemon: return "daemon";
    case SetType::kDeployment: return "deployment";
  }
  return "unknown";
}

namespace {

bool ActionAllowed(const std::vector<std::string>& actions, std::string_view action) {
  return std::any_of(actions.begin(), actions.end(),
                     [&](const std::string& a) { return a == "*" || a == action; });
}

bool SetMatches(const AccessRule& rule, const AccessTarget& t, std::string* why) {
  if (!rule.set_type) {
    *why = "rule names no setType";
    return false;
  }
  if (*rule.set_type == SetType::kDeployment) {
    if (t.deployment.empty()) {
      *why = "pod is not owned by a Deployment";
      return false;
    }
    if (!AnyGlobMatches(rule.sets, t.deployment)) {
      *why = "deployment " + t.deployment + " is not in the rule's sets";
      return false;
    }
    return true;
  }
  if (!t.set_type || *t.set_type != *rule.set_type) {
    *why = std::string("pod is not owned by a ") + SetTypeName(*rule.set_type) + " set";
    return false;
  }
  if (!AnyGlobMatches(rule.sets, t.set_name)) {
    *why = "set " + t.set_name + " is not in the rule's sets";
    return false;
  }
  return true;
}

}  // namespace

bool RuleAllows(const AccessRule& rule, const AccessTarget& t, std::string* why) {
  if (!ActionAllowed(rule.actions, t.action)) {
    *why = "action " + t.action + " not granted";
    return false;
  }
  if (rule.scope == Scope::kCluster) return true;

  if (!AnyGlobMatches(rule.namespaces, t.namespace_name)) {
    *why = "namespace " + t.namespace_name + " not in scope";
    return false;
  }
  // Any list that is set narrows the rule (never widens it, even at
  // namespace scope), and the scope's own list is required (validation
  // guarantees it is non-empty).
  bool need_set = rule.scope == Scope::kSet || !rule.sets.empty();
  bool need_pod = rule.scope == Scope::kPod || !rule.pods.empty();
  bool need_container =
      rule.scope == Scope::kContainer || rule.scope == Scope::kFilter || !rule.containers.empty();

  if (need_set && !SetMatches(rule, t, why)) return false;
  if (need_pod) {
    if (t.pod.empty()) {
      *why = "request names no pod";
      return false;
    }
    if (!AnyGlobMatches(rule.pods, t.pod)) {
      *why = "pod " + t.pod + " not in scope";
      return false;
    }
  }
  if (need_container) {
    if (t.container.empty()) {
      *why = "request names no container";
      return false;
    }
    if (!AnyGlobMatches(rule.containers, t.container)) {
      *why = "container " + t.container + " not in scope";
      return false;
    }
  }
  return true;
}

Decision Decide(const KeyPolicy& policy, const AccessTarget& target, TimePoint now) {
  Decision d;
  if (policy.disabled) {
    d.reason = "key is disabled";
    return d;
  }
  if (policy.expires_at && now >= *policy.expires_at) {
    d.reason = "key expired";
    return d;
  }
  // Each list is its own allocation; with many keys none of them is in
  // cache. Ask for all of them at once instead of one miss after another.
  for (const AccessRule& rule : policy.rules) {
    __builtin_prefetch(rule.namespaces.data());
    __builtin_prefetch(rule.sets.data());
    __builtin_prefetch(rule.pods.data());
    __builtin_prefetch(rule.containers.data());
    __builtin_prefetch(rule.actions.data());
  }
  std::string last_why = "key has no access rules";
  for (std::size_t i = 0; i < policy.rules.size(); ++i) {
    const AccessRule& rule = policy.rules[i];
    std::string why;
    if (RuleAllows(rule, target, &why)) {
      d.allowed = true;
      d.rule_index = static_cast<int>(i);
      d.scope = rule.scope;
      d.reason = "allowed";  // rule_index and scope say by what; no allocation
      if (rule.scope == Scope::kFilter) d.filter = rule.filter;
      return d;
    }
    last_why = std::move(why);
  }
  d.reason = policy.rules.size() == 1 ? last_why : "no rule allows it (last: " + last_why + ")";
  return d;
}

}  // namespace keyward
