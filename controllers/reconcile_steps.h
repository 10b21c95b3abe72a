// The ApiKey reconcile's pure steps: rotation, readiness, events and the
// next wake-up, each a function of the ApiKey, what happened and the time.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "api/apikey.h"
#include "base/time_format.h"

namespace keyward {

// What happened to the key material in one reconcile.
struct KeyOutcome {
  bool minted = false;           // a new key (first, or after a lost Secret/memory)
  bool lost = false;             // a volatile key had to be re-minted after a restart
  bool rotated = false;          // rotation replaced the key
  bool secret_conflict = false;  // the Secret's name is taken by a Secret not ours
  std::string message;           // for minted / secret_conflict; never a key
  std::optional<TimePoint> next_rotation;
  // The Secret check was over its budget: put off for this long (the key
  // is served from status meanwhile).
  std::optional<std::chrono::milliseconds> check_deferred;
};

// When the key born at |born| is due for rotation: the periodic interval of
// spec.rotation, or at once when keyward.io/rotate-requested-at names a
// time after the key was born. nullopt: never.
std::optional<TimePoint> RotationDue(const ApiKey& key, TimePoint born);

// How long the previous key stays valid after a rotation (default 1h).
Clock::duration RotationOverlap(const ApiKey& key);

// When to re-check the Secret of |ref|: |interval| plus up to a fifth of it,
// fixed per key (a hash of its name), so keys created together spread out
// instead of coming due in the same second forever.
std::chrono::milliseconds SecretCheckAfter(const std::string& ref, std::chrono::milliseconds interval);

// Sets status.phase, status.scope and the Ready condition from the spec, the outcome and
// |now|: SecretConflict, Disabled, Expired, Pending (no key yet) or Active
// (Minted / Rotated / VolatileKeyLost, or the reason it had).
void SetReadiness(const ApiKey& key, const KeyOutcome& out, std::optional<TimePoint> expiry,
                  TimePoint now, ApiKeyStatus* status);

struct EventToRecord {
  std::string type;  // Normal or Warning
  std::string reason;
  std::string message;
};

// The events for going from key.status to |status| with |out|.
std::vector<EventToRecord> EventsFor(const ApiKey& key, const ApiKeyStatus& status,
                                     const KeyOutcome& out);

struct WakeInputs {
  std::optional<TimePoint> expiry;        // the key's absolute expiry
  std::optional<TimePoint> overlap_end;   // previous key stops being valid
  std::optional<TimePoint> next_rotation;
  // The leader re-checks a permanent key's Secret this often (or, after a
  // Secret conflict, comes back to see whether it was resolved).
  std::optional<std::chrono::milliseconds> secret_check;
};

// The earliest of the wake-up times after |now| (plus 1 ms, so the
// reconcile lands just past the instant), or nullopt: await a change.
std::optional<std::chrono::milliseconds> NextWake(const WakeInputs& in, TimePoint now);

}  // namespace keyward
