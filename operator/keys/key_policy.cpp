#include "keys/key_policy.h"

namespace keyward {

Decision Decide(const KeyPolicy& policy, const AccessTarget& target) {
  Decision d;
  std::string last_why = "key has no access rules";
  for (std::size_t i = 0; i < policy.rules.size(); ++i) {
    std::string why;
    if (policy.rules.Allows(i, target, &why)) {
      d.allowed = true;
      d.rule_index = static_cast<int>(i);
      d.scope = policy.rules.scope(i);
      d.reason = "allowed";  // rule_index and scope say by what; no allocation
      if (*d.scope == Scope::kFilter) d.filter = std::string(policy.rules.filter(i));
      return d;
    }
    last_why = std::move(why);
  }
  d.reason = policy.rules.size() <= 1 ? last_why : "no rule allows it (last: " + last_why + ")";
  return d;
}

}  // namespace keyward
