#include "apikey_controller.h"

#include <spdlog/spdlog.h>

#include "apikey_policy.h"
#include "apikey_status.h"
#include "key_format.h"
#include "key_secret.h"
#include "validation.h"

namespace keyward {

namespace {

ApiKeyRef RefOf(const ApiKey& key) { return {key.metadata.namespace_name, key.metadata.name}; }

std::chrono::milliseconds Until(TimePoint from, TimePoint to) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from) +
         std::chrono::milliseconds(1);
}

// When the key born at |born| is due for rotation: the periodic interval
// of spec.rotation, or at once when keyward.io/rotate-requested-at names a
// time after the key was born. nullopt: never.
std::optional<TimePoint> RotationDue(const ApiKey& key, TimePoint born) {
  std::optional<TimePoint> due;
  auto requested = key.metadata.annotations.find(kRotateRequestedAnnotation);
  if (requested != key.metadata.annotations.end()) {
    auto t = ParseRfc3339(requested->second);
    if (t && *t > born) due = *t;
  }
  if (key.spec.rotation) {
    if (auto every = ParseDuration(key.spec.rotation->every)) {
      TimePoint periodic = born + std::chrono::duration_cast<Clock::duration>(*every);
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

// The previous key recorded in status, if it is still valid at |now|.
std::optional<std::pair<KeyDigest, TimePoint>> ValidPrevious(const ApiKeyStatus& s, TimePoint now) {
  auto digest = DigestFromStatus(s.previous_key_hash);
  auto until = ParseRfc3339(s.previous_valid_until);
  if (!digest || !until || now >= *until) return std::nullopt;
  return std::make_pair(*digest, *until);
}

}  // namespace

void ApiKeyController::IndexKeys(const ApiKeyRef& ref, const KeyDigest& current,
                                 std::optional<std::pair<KeyDigest, TimePoint>> previous,
                                 TimePoint now) {
  std::vector<KeyDigest> keep{current};
  env_.index->AddKey(ref, current);
  if (previous && now < previous->second) {
    env_.index->AddKey(ref, previous->first, previous->second);
    keep.push_back(previous->first);
  }
  env_.index->RetainKeys(ref, keep);
}

void ApiKeyController::Forget(const ApiKeyRef& ref) {
  env_.index->RemoveApiKey(ref);
  env_.volatile_keys->Erase(ref);
  std::lock_guard lock(verified_mu_);
  verified_.erase(ref.String());
}

bool ApiKeyController::SecretRecentlyVerified(const ApiKeyRef& ref, const KeyDigest& digest,
                                              TimePoint now) {
  std::lock_guard lock(verified_mu_);
  auto it = verified_.find(ref.String());
  return it != verified_.end() && it->second.second == digest &&
         now - it->second.first < env_.secret_check_interval;
}

void ApiKeyController::MarkSecretVerified(const ApiKeyRef& ref, const KeyDigest& digest,
                                          TimePoint now) {
  std::lock_guard lock(verified_mu_);
  verified_[ref.String()] = {now, digest};
}

void ApiKeyController::Event(const ApiKey& key, const std::string& type, const std::string& reason,
                             const std::string& message) {
  if (!env_.events || !env_.is_leader()) return;
  env_.events->Record({kApiVersion, kKind, key.metadata.namespace_name, key.metadata.name,
                       key.metadata.uid},
                      type, reason, message);
}

Action ApiKeyController::WriteStatus(const ApiKey& key, const ApiKeyStatus& status) {
  if (!env_.is_leader()) return {};
  ResourcePath path{kApiVersion, "apikeys", key.metadata.namespace_name, key.metadata.name,
                    "status"};
  KubeResult r = env_.kube->MergePatch(path, StatusPatch(status));
  if (r.status.NotFound()) return {};  // deleted meanwhile; the watch will tell
  if (!r.status.ok()) return {std::nullopt, true, "writing status: " + r.status.String()};
  return {};
}

Action ApiKeyController::ReconcileInvalid(const ApiKey& key, const FieldErrors& errors) {
  env_.index->RemoveApiKey(RefOf(key));
  env_.volatile_keys->Erase(RefOf(key));
  std::string message;
  for (std::size_t i = 0; i < errors.size() && i < 5; ++i) {
    if (i) message += "; ";
    message += errors[i].String();
  }
  if (errors.size() > 5) message += "; and " + std::to_string(errors.size() - 5) + " more";
  ApiKeyStatus status = key.status;
  status.phase = kPhaseInvalid;
  status.observed_generation = key.metadata.generation;
  SetReadyCondition(&status, false, "Invalid", message, key.metadata.generation, env_.now());
  if (!StatusChanged(key.status, status)) return {};
  Event(key, "Warning", "Invalid", message);
  return WriteStatus(key, status);
}

Action ApiKeyController::ReconcilePermanent(const ApiKey& key, ApiKeyStatus* status,
                                            KeyOutcome* out) {
  const ApiKeyRef ref = RefOf(key);
  const TimePoint now = env_.now();
  auto known = DigestFromStatus(key.status.key_hash);
  if (!ValidPrevious(*status, now)) {
    status->previous_key_hash.clear();
    status->previous_valid_until.clear();
  }
  if (!env_.is_leader()) {
    // Followers answer checks from status alone; they never touch Secrets.
    if (known) IndexKeys(ref, *known, ValidPrevious(key.status, now), now);
    return {};
  }
  KeyDigest current;
  if (known && SecretRecentlyVerified(ref, *known, now)) {
    current = *known;
  } else {
    SecretKeyState secret =
        EnsureKeySecret(*env_.kube, key, env_.index->hasher(), /*try_create_first=*/!known);
    switch (secret.outcome) {
      case SecretKeyState::Outcome::kRetry:
        return {std::nullopt, true, secret.message};
      case SecretKeyState::Outcome::kConflict:
        env_.index->RemoveApiKey(ref);
        status->phase = kPhasePending;
        SetReadyCondition(status, false, "SecretConflict", secret.message,
                          key.metadata.generation, now);
        return {std::chrono::milliseconds(env_.secret_check_interval), false, ""};
      case SecretKeyState::Outcome::kMinted:
        out->minted = true;
        if (known) {
          out->mint_message = "Secret " + EffectiveSecretName(key) +
                          " was deleted; minted a new key into a new Secret";
          status->last_rotated_at = FormatRfc3339(now);  // a new key was born
        } else {
          out->mint_message = "minted a permanent key into Secret " + EffectiveSecretName(key);
        }
        break;
      case SecretKeyState::Outcome::kExisting:
        break;
    }
    current = secret.digest;
    status->key_hint = secret.hint;
    MarkSecretVerified(ref, current, now);
  }

  const TimePoint born = ParseRfc3339(status->last_rotated_at)
                             .value_or(ParseRfc3339(key.metadata.creation_timestamp).value_or(now));
  auto due = RotationDue(key, born);
  if (!out->minted && due && now >= *due) {
    SecretKeyState next = RotateKeySecret(*env_.kube, key, env_.index->hasher());
    if (next.outcome != SecretKeyState::Outcome::kMinted) {
      return {std::nullopt, true, next.message};
    }
    status->previous_key_hash = DigestToStatus(current);
    status->previous_valid_until = FormatRfc3339(now + RotationOverlap(key));
    status->last_rotated_at = FormatRfc3339(now);
    status->key_hint = next.hint;
    current = next.digest;
    MarkSecretVerified(ref, current, now);
    out->rotated = true;
  }
  out->next_rotation = RotationDue(key, ParseRfc3339(status->last_rotated_at).value_or(born));
  IndexKeys(ref, current, ValidPrevious(*status, now), now);
  status->key_hash = DigestToStatus(current);
  status->secret_name = EffectiveSecretName(key);
  return {};
}

void ApiKeyController::ReconcileVolatile(const ApiKey& key, ApiKeyStatus* status,
                                         KeyOutcome* out) {
  const ApiKeyRef ref = RefOf(key);
  const TimePoint now = env_.now();
  status->key_hash.clear();  // never in etcd
  status->secret_name.clear();
  status->previous_key_hash.clear();
  if (!env_.is_leader()) return;  // only the leader's memory holds volatile keys
  std::optional<VolatileKey> held = env_.volatile_keys->Get(ref, key.metadata.uid);
  if (!held) {
    // A hint in status but no key in memory: a previous process minted it.
    out->lost = !key.status.key_hint.empty();
    held = env_.volatile_keys->Put(ref, key.metadata.uid, MintKey(), env_.index->hasher(), now);
    out->minted = true;
    status->previous_valid_until.clear();
  } else if (auto due = RotationDue(key, held->minted_at); due && now >= *due) {
    TimePoint until = now + RotationOverlap(key);
    held = env_.volatile_keys->Rotate(ref, key.metadata.uid, MintKey(), env_.index->hasher(), now,
                                      until);
    status->last_rotated_at = FormatRfc3339(now);
    status->previous_valid_until = FormatRfc3339(until);
    out->rotated = true;
  }
  if (!held->previous || now >= held->previous->second) status->previous_valid_until.clear();
  out->next_rotation = RotationDue(key, held->minted_at);
  IndexKeys(ref, held->digest, held->previous, now);
  status->key_hint = held->hint;
}

Action ApiKeyController::Reconcile(const std::string& store_key) {
  ObjectPtr obj = env_.get_apikey(store_key);
  if (!obj) {
    auto slash = store_key.find('/');
    Forget({store_key.substr(0, slash), store_key.substr(slash + 1)});
    return {};
  }
  FieldErrors errors;
  ApiKey key = ParseApiKey(*obj, &errors);
  const ApiKeyRef ref = RefOf(key);
  if (key.metadata.deleting) {
    Forget(ref);
    return {};
  }
  const TimePoint now = env_.now();
  FieldErrors semantic = ValidateApiKey(key, now, /*creating=*/false);
  errors.insert(errors.end(), semantic.begin(), semantic.end());
  if (!errors.empty()) return ReconcileInvalid(key, errors);

  auto policy = PolicyOf(key, now);
  const std::optional<TimePoint> expiry = policy->policy.expires_at;
  env_.index->SetPolicy(policy);

  ApiKeyStatus status = key.status;
  KeyOutcome out;
  Action action;
  if (key.spec.type == KeyType::kPermanent) {
    action = ReconcilePermanent(key, &status, &out);
    if (action.failed) return action;
  } else {
    ReconcileVolatile(key, &status, &out);
    // No promise of the reveal endpoint here: it is PRODUCT.md §3, not served yet.
    out.mint_message = out.lost ? "the operator restarted and volatile keys live only in memory; minted a "
                                  "new key (the previous one no longer works)"
                                : "minted a volatile key (memory only: never in a Secret, status or etcd)";
  }
  status.expires_at = expiry ? FormatRfc3339(*expiry) : "";
  status.observed_generation = key.metadata.generation;
  const std::int64_t gen = key.metadata.generation;
  // A Secret conflict has set phase and condition already.
  const bool conflict = action.requeue_after.has_value();
  if (!conflict) {
    if (key.spec.disabled) {
      status.phase = kPhaseDisabled;
      SetReadyCondition(&status, false, "Disabled", "spec.disabled is true: the key is rejected "
                        "but keeps its value", gen, now);
    } else if (expiry && now >= *expiry) {
      status.phase = kPhaseExpired;
      SetReadyCondition(&status, false, "Expired", "the key expired at " + status.expires_at, gen,
                        now);
    } else if (status.key_hint.empty()) {
      status.phase = kPhasePending;
      SetReadyCondition(&status, false, "Pending", "waiting for the leader to mint the key", gen,
                        now);
    } else {
      status.phase = kPhaseActive;
      const Condition* ready = FindCondition(status, "Ready");
      bool was_ready = ready && ready->status == "True";
      std::string reason = out.lost      ? "VolatileKeyLost"
                           : out.rotated ? "Rotated"
                           : out.minted  ? "Minted"
                           : was_ready   ? ready->reason
                                         : "Minted";
      std::string message =
          out.rotated ? "rotated at " + status.last_rotated_at + "; the previous key is valid until " +
                            status.previous_valid_until
          : out.minted ? out.mint_message
          : was_ready  ? ready->message
                       : "the key is active";
      SetReadyCondition(&status, true, reason, message, gen, now);
    }
  }

  if (env_.is_leader() && (status.phase != key.status.phase || out.minted || out.rotated)) {
    if (out.minted) {
      Event(key, out.lost ? "Warning" : "Normal", out.lost ? "VolatileKeyLost" : "Minted",
            out.mint_message);
    }
    if (out.rotated) {
      Event(key, "Normal", "Rotated",
            "minted a new key; the previous one stays valid until " + status.previous_valid_until);
    }
    if (status.phase != key.status.phase) {
      if (status.phase == kPhaseDisabled) Event(key, "Normal", "Disabled", "the key is disabled");
      if (status.phase == kPhaseExpired) Event(key, "Normal", "Expired", "the key expired");
    }
  }
  if (StatusChanged(key.status, status)) {
    Action written = WriteStatus(key, status);
    if (written.failed) return written;
  }

  // Come back at the exact expiry time, and to re-check the Secret.
  std::optional<std::chrono::milliseconds> next = action.requeue_after;
  if (expiry && now < *expiry) next = std::min(next.value_or(Until(now, *expiry)), Until(now, *expiry));
  if (key.spec.type == KeyType::kPermanent && env_.is_leader()) {
    next = std::min(next.value_or(env_.secret_check_interval), env_.secret_check_interval);
  }
  // ... at the end of a rotation overlap (to drop the old key), and when the
  // next rotation is due.
  std::vector<TimePoint> wakes;
  if (auto until = ParseRfc3339(status.previous_valid_until)) wakes.push_back(*until);
  if (out.next_rotation) wakes.push_back(*out.next_rotation);
  for (TimePoint t : wakes) {
    if (t > now) next = std::min(next.value_or(Until(now, t)), Until(now, t));
  }
  return {next, false, ""};
}

}  // namespace keyward
