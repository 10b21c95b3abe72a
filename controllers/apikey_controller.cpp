#include "controllers/apikey_controller.h"

#include <spdlog/spdlog.h>

#include "api/apikey_policy.h"
#include "api/validation.h"
#include "controllers/apikey_status.h"
#include "controllers/key_secret.h"
#include "keys/key_format.h"

namespace keyward {


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

void ApiKeyController::Event(const ApiKey& key, const EventToRecord& event) {
  if (!env_.events || !env_.is_leader()) return;
  env_.events->Record({kApiVersion, kKind, key.metadata.namespace_name, key.metadata.name,
                       key.metadata.uid},
                      event.type, event.reason, event.message);
}

Action ApiKeyController::WriteStatus(const ApiKey& key, const ApiKeyStatus& status) {
  if (!env_.is_leader()) return Action::AwaitChange();
  ResourcePath path{kApiVersion, "apikeys", key.metadata.namespace_name, key.metadata.name,
                    "status"};
  KubeResult r = env_.kube->MergePatch(path, StatusPatch(status));
  if (r.status.NotFound()) return Action::AwaitChange();  // deleted meanwhile; the watch will tell
  if (!r.status.ok()) return Action::Retry("writing status: " + r.status.String());
  return Action::AwaitChange();
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
  if (!StatusChanged(key.status, status)) return Action::AwaitChange();
  Event(key, {"Warning", "Invalid", message});
  return WriteStatus(key, status);
}

void ApiKeyController::LoseKey(const ApiKeyRef& ref, const std::string& message,
                               ApiKeyStatus* status, KeyOutcome* out) {
  // Nothing of the key may outlive this in status, or followers (which
  // index status.keyHash) would keep accepting it.
  env_.index->RemoveApiKey(ref);
  status->key_hash.clear();
  status->key_hint.clear();
  status->previous_key_hash.clear();
  status->previous_valid_until.clear();
  out->secret_conflict = true;
  out->message = message;
}

Status ApiKeyController::MintPermanent(const ApiKey& key, TimePoint now, ApiKeyStatus* status,
                                       KeyOutcome* out) {
  const ApiKeyRef ref = RefOf(key);
  auto known = DigestFromStatus(key.status.key_hash);
  if (!ValidPrevious(*status, now)) {
    status->previous_key_hash.clear();
    status->previous_valid_until.clear();
  }
  if (!env_.is_leader()) {
    // Followers answer checks from status alone; they never touch Secrets.
    if (known) IndexKeys(env_.index, ref, *known, ValidPrevious(key.status, now), now);
    return Status();
  }
  KeyDigest current;
  if (known && SecretRecentlyVerified(ref, *known, now)) {
    current = *known;
  } else {
    SecretKeyState secret =
        EnsureKeySecret(*env_.kube, key, env_.index->hasher(), /*try_create_first=*/!known);
    switch (secret.outcome) {
      case SecretKeyState::Outcome::kRetry:
        return Status::Error(secret.message);
      case SecretKeyState::Outcome::kConflict:
        LoseKey(ref, secret.message, status, out);
        return Status();
      case SecretKeyState::Outcome::kMinted:
        out->minted = true;
        out->message = known ? "Secret " + EffectiveSecretName(key) +
                                   " was deleted; minted a new key into a new Secret"
                             : "minted a permanent key into Secret " + EffectiveSecretName(key);
        if (known) status->last_rotated_at = FormatRfc3339(now);  // a new key was born
        break;
      case SecretKeyState::Outcome::kExisting:
        if (!secret.message.empty()) Event(key, {"Warning", "KeyHashMismatch", secret.message});
        break;
    }
    current = secret.digest;
    status->key_hint = secret.hint;
    MarkSecretVerified(ref, current, now);
  }
  Status rotated = RotatePermanent(key, now, &current, status, out);
  if (!rotated.ok()) return rotated;
  if (auto holder = IndexKeys(env_.index, ref, current, ValidPrevious(*status, now), now)) {
    LoseKey(ref, "the key in Secret " + EffectiveSecretName(key) + " is the key of ApiKey " +
                     holder->String() + " (a copied Secret?); it stays with that ApiKey. Delete "
                     "the Secret to mint a new key", status, out);
    return Status();
  }
  status->key_hash = DigestToStatus(current);
  status->secret_name = EffectiveSecretName(key);
  return Status();
}

Status ApiKeyController::RotatePermanent(const ApiKey& key, TimePoint now, KeyDigest* current,
                                         ApiKeyStatus* status, KeyOutcome* out) {
  const TimePoint born = ParseRfc3339(status->last_rotated_at)
                             .value_or(ParseRfc3339(key.metadata.creation_timestamp).value_or(now));
  auto due = RotationDue(key, born);
  if (!out->minted && due && now >= *due) {
    SecretKeyState next = RotateKeySecret(*env_.kube, key, env_.index->hasher());
    if (next.outcome != SecretKeyState::Outcome::kMinted) return Status::Error(next.message);
    status->previous_key_hash = DigestToStatus(*current);
    status->previous_valid_until = FormatRfc3339(AddSaturating(now, RotationOverlap(key)));
    status->last_rotated_at = FormatRfc3339(now);
    status->key_hint = next.hint;
    *current = next.digest;
    MarkSecretVerified(RefOf(key), *current, now);
    out->rotated = true;
  }
  out->next_rotation = RotationDue(key, ParseRfc3339(status->last_rotated_at).value_or(born));
  return Status();
}

void ApiKeyController::MintVolatile(const ApiKey& key, TimePoint now, ApiKeyStatus* status,
                                    KeyOutcome* out) {
  const ApiKeyRef ref = RefOf(key);
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
    TimePoint until = AddSaturating(now, RotationOverlap(key));
    held = env_.volatile_keys->Rotate(ref, key.metadata.uid, MintKey(), env_.index->hasher(), now,
                                      until);
    status->last_rotated_at = FormatRfc3339(now);
    status->previous_valid_until = FormatRfc3339(until);
    out->rotated = true;
  }
  // The reveal endpoint is served only with a serving certificate; the
  // message names it as the way to read the key, once.
  const std::string reveal = "; read it once: GET /v1/reveal/" + ref.namespace_name + "/" + ref.name;
  out->message = out->lost ? "the operator restarted and volatile keys live only in memory; "
                             "minted a new key (the previous one no longer works)" + reveal
                           : "minted a volatile key (memory only: never in a Secret, status or etcd)" + reveal;
  if (!held->previous || now >= held->previous->second) status->previous_valid_until.clear();
  out->next_rotation = RotationDue(key, held->minted_at);
  IndexKeys(env_.index, ref, held->digest, held->previous, now);
  status->key_hint = held->hint;
}

Action ApiKeyController::Reconcile(const std::string& store_key) {
  // Gather: the object from the cache, parsed and validated, and its policy.
  ObjectPtr obj = env_.get_apikey(store_key);
  if (!obj) {
    Forget(ApiKeyRef::FromKey(store_key));
    return Action::AwaitChange();
  }
  FieldErrors errors;
  ApiKey key = ParseApiKey(*obj, &errors);
  if (key.metadata.deleting) {
    Forget(RefOf(key));
    return Action::AwaitChange();
  }
  const TimePoint now = env_.now();
  FieldErrors semantic = ValidateApiKey(key, now, /*creating=*/false);
  errors.insert(errors.end(), semantic.begin(), semantic.end());
  if (!errors.empty()) return ReconcileInvalid(key, errors);
  auto policy = PolicyOf(key, now);
  const std::optional<TimePoint> expiry = policy->policy.expires_at;
  env_.index->SetPolicy(policy);

  // Mint: the key exists (Secret or memory), rotated when due, indexed.
  const bool permanent = key.spec.type == KeyType::kPermanent;
  ApiKeyStatus status = key.status;
  KeyOutcome out;
  if (permanent) {
    Status minted = MintPermanent(key, now, &status, &out);
    if (!minted.ok()) return Action::Retry(minted.message());
  } else {
    MintVolatile(key, now, &status, &out);
  }

  // Readiness: phase and Ready condition.
  status.expires_at = expiry ? FormatRfc3339(*expiry) : "";
  status.observed_generation = key.metadata.generation;
  if (auto by = key.metadata.annotations.find("keyward.io/created-by");
      by != key.metadata.annotations.end()) {
    status.created_by = by->second;  // stamped by the mutating webhook at create
  }
  SetReadiness(key, out, expiry, now, &status);

  // Write: events and status, leader only.
  for (const EventToRecord& event : EventsFor(key, status, out)) Event(key, event);
  if (StatusChanged(key.status, status)) {
    Action written = WriteStatus(key, status);
    if (written.failed()) return written;
  }

  // Action: come back at expiry, at the end of a rotation overlap, at the
  // next rotation, and (leader) to re-check the Secret.
  WakeInputs wake{expiry, ParseRfc3339(status.previous_valid_until), out.next_rotation,
                  std::nullopt};
  if (permanent && env_.is_leader()) wake.secret_check = env_.secret_check_interval;
  auto next = NextWake(wake, now);
  return next ? Action::Requeue(*next) : Action::AwaitChange();
}

}  // namespace keyward
