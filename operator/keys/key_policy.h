// What a key may do, and the pure decision "may this key do X on Y?".
// No I/O, no clock. Thread-safe.
#pragma once
#include <optional>
#include <string>

#include "keys/access_rules.h"
#include "keys/compiled_rules.h"
#include "base/time_format.h"

namespace keyward {

// What a key's decision depends on besides the target.
struct KeyPolicy {
  CompiledRules rules;  // spec.access, in order
  bool disabled = false;
  std::optional<TimePoint> expires_at;
};

struct Decision {
  bool allowed = false;
  std::string reason;                 // human readable; never contains a key
  int rule_index = -1;                // the rule that allowed, or -1
  std::optional<Scope> scope;         // scope of that rule
  std::optional<std::string> filter;  // for scope filter: the filter to apply
};

// Evaluates the rules of |policy| for |target|: the first rule that allows
// wins (rules are OR-ed). Disabled and expired keys are decided before, in
// one place: the index lookup (keys/key_index.h).
Decision Decide(const KeyPolicy& policy, const AccessTarget& target);

}  // namespace keyward
