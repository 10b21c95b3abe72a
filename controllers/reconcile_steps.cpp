#include "controllers/reconcile_steps.h"

#include <algorithm>

#include "controllers/apikey_status.h"

namespace keyward {

std::optional<TimePoint> RotationDue(const ApiKey& key, TimePoint born) {
  std::optional<TimePoint> due;
  auto requested = key.metadata.annotations.find(kRotateRequestedAnnotation);
  if (requested != key.metadata.annotations.end()) {
    auto t = ParseRfc3339(requested->second);
    if (t && *t > born) due = *t;
  }
  if (key.spec.rotation) {
    if (auto every = ParseDuration(key.spec.rotation->every)) {
      TimePoint periodic = AddSaturating(born, *every);
      due = due ? std::min(*due, periodic) : periodic;
    }
  }
  return due;
}

Clock::duration RotationOverlap(const ApiKey& key) {
  std::string text = key.spec.rotation ? key.spec.rotation->overlap : "1h";
  return std::chrono::duration_cast<Clock::duration>(
      ParseDuration(text).value_or(std::chrono::hours(1)));
}

std::chrono::milliseconds SecretCheckAfter(const std::string& ref, std::chrono::milliseconds interval) {
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (unsigned char c : ref) h = (h ^ c) * 1099511628211ULL;
  return interval + std::chrono::milliseconds(static_cast<std::int64_t>((h % 1000) * interval.count() / 5000));
}

namespace {

// Reason and message of an Active key's Ready condition.
std::pair<std::string, std::string> ActiveReason(const ApiKeyStatus& status, const KeyOutcome& out) {
  const Condition* ready = FindCondition(status, "Ready");
  const bool was_ready = ready && ready->status == "True";
  if (out.rotated) {
    return {"Rotated", "rotated at " + status.last_rotated_at +
                           "; the previous key is valid until " + status.previous_valid_until};
  }
  if (out.minted) return {out.lost ? "VolatileKeyLost" : "Minted", out.message};
  if (was_ready) return {ready->reason, ready->message};
  return {"Minted", "the key is active"};
}

}  // namespace

void SetReadiness(const ApiKey& key, const KeyOutcome& out, std::optional<TimePoint> expiry,
                  TimePoint now, ApiKeyStatus* status) {
  const std::int64_t gen = key.metadata.generation;
  status->scope = ScopeSummary(key.spec);
  if (out.secret_conflict) {
    status->phase = kPhasePending;
    SetReadyCondition(status, false, "SecretConflict", out.message, gen, now);
  } else if (key.spec.disabled) {
    status->phase = kPhaseDisabled;
    SetReadyCondition(status, false, "Disabled",
                      "spec.disabled is true: the key is rejected but keeps its value", gen, now);
  } else if (expiry && now >= *expiry) {
    status->phase = kPhaseExpired;
    SetReadyCondition(status, false, "Expired", "the key expired at " + status->expires_at, gen,
                      now);
  } else if (status->key_hint.empty()) {
    status->phase = kPhasePending;
    SetReadyCondition(status, false, "Pending", "waiting for the leader to mint the key", gen, now);
  } else {
    status->phase = kPhaseActive;
    auto [reason, message] = ActiveReason(*status, out);
    SetReadyCondition(status, true, reason, message, gen, now);
  }
}

std::vector<EventToRecord> EventsFor(const ApiKey& key, const ApiKeyStatus& status,
                                     const KeyOutcome& out) {
  std::vector<EventToRecord> events;
  const bool phase_changed = status.phase != key.status.phase;
  if (!phase_changed && !out.minted && !out.rotated) return events;
  if (out.minted) {
    events.push_back({out.lost ? "Warning" : "Normal", out.lost ? "VolatileKeyLost" : "Minted",
                      out.message});
  }
  if (out.rotated) {
    events.push_back({"Normal", "Rotated",
                      "minted a new key; the previous one stays valid until " +
                          status.previous_valid_until});
  }
  if (phase_changed && out.secret_conflict) {
    events.push_back({"Warning", "SecretConflict", out.message});
  }
  if (phase_changed && status.phase == kPhaseDisabled) {
    events.push_back({"Normal", "Disabled", "the key is disabled"});
  }
  if (phase_changed && status.phase == kPhaseExpired) {
    events.push_back({"Normal", "Expired", "the key expired"});
  }
  return events;
}

std::optional<std::chrono::milliseconds> NextWake(const WakeInputs& in, TimePoint now) {
  std::optional<std::chrono::milliseconds> next = in.secret_check;
  for (const auto& t : {in.expiry, in.overlap_end, in.next_rotation}) {
    if (!t || *t <= now) continue;
    auto until = std::chrono::duration_cast<std::chrono::milliseconds>(*t - now) +
                 std::chrono::milliseconds(1);
    next = next ? std::min(*next, until) : until;
  }
  return next;
}

}  // namespace keyward
