// What a key may do, and the pure decision "may this key do X on Y?".
// No I/O, no clock. Thread-safe.
#pragma once
#include <optional>
#include <string>

#include "keys/access_rules.h"
#include "keys/compiled_rules.h"
#include "base/time_format.h"

namespace keyward {

// An expiry, or none; read like std::optional<TimePoint> but 8 bytes, not
// 16 (every indexed key holds one). TimePoint::min() stands for none.
class OptionalExpiry {
 public:
  OptionalExpiry() = default;
  OptionalExpiry(std::nullopt_t) {}
  OptionalExpiry(TimePoint t) : t_(t == TimePoint::min() ? t + TimePoint::duration(1) : t) {}
  OptionalExpiry(const std::optional<TimePoint>& t) {
    if (t) *this = OptionalExpiry(*t);
  }
  bool has_value() const { return t_ != TimePoint::min(); }
  explicit operator bool() const { return has_value(); }
  TimePoint operator*() const { return t_; }
  std::optional<TimePoint> as_optional() const {
    return has_value() ? std::optional<TimePoint>(t_) : std::nullopt;
  }

 private:
  TimePoint t_ = TimePoint::min();
};

// What a key's decision depends on besides the target.
struct KeyPolicy {
  CompiledRules rules;  // spec.access, in order
  bool disabled = false;
  OptionalExpiry expires_at;
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
