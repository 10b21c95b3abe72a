// What a key may do, and the pure decision "may this key do X on Y?".
// No I/O, no clock of its own: the time is a parameter. Thread-safe.
#pragma once
#include <optional>
#include <string>

#include "access_rules.h"
#include "compiled_rules.h"
#include "time_format.h"

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

// Evaluates |policy| for |target| at |now|: disabled and expired keys are
// denied first; otherwise the first rule that allows wins (rules are OR-ed).
Decision Decide(const KeyPolicy& policy, const AccessTarget& target, TimePoint now);

}  // namespace keyward
