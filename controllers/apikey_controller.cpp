#include "controllers/apikey_controller.h"

#include <spdlog/spdlog.h>

#include <atomic>

#include "api/apikey_policy.h"
#include "api/validation.h"
#include "controllers/apikey_status.h"
#include "controllers/key_secret.h"
#include "keys/key_format.h"

namespace keyward {


void ApiKeyController::Forget(const ApiKeyRef& ref) {
  if (env_.uses_template) env_.uses_template(ref, std::nullopt);
  env_.index->RemoveApiKey(ref);
  env_.volatile_keys->Erase(ref);
  secret_checks_.Forget(ref.String());
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
  return WriteNotReady(key, kPhaseInvalid, "Invalid", message);
}

Action ApiKeyController::WriteNotReady(const ApiKey& key, const char* phase, const char* reason,
                                       const std::string& message) {
  ApiKeyStatus status = key.status;
  status.phase = phase;
  status.observed_generation = key.metadata.generation;
  status.scope = ScopeSummary(key.spec);
  SetReadyCondition(&status, false, reason, message, key.metadata.generation, env_.now());
  if (!StatusChanged(key.status, status)) return Action::AwaitChange();
  Event(key, {"Warning", reason, message});
  return WriteStatus(key, status);
}

std::optional<ApiKeyTemplate> ApiKeyController::TemplateOf(const ApiKey& key) const {
  if (!key.spec.template_ref || !env_.templates) return std::nullopt;
  return env_.templates(key.metadata.namespace_name, *key.spec.template_ref);
}

void ApiKeyController::StampCreator(const ApiKey& key, ApiKeyStatus* status) {
  auto by = key.metadata.annotations.find("keyward.io/created-by");
  if (by != key.metadata.annotations.end()) status->created_by = by->second;  // stamped at create
}

Action ApiKeyController::ReconcileNoTemplate(const ApiKey& key) {
  // Without its role the key allows nothing: it leaves the index until the
  // template exists (the template's watch brings it back here).
  env_.index->RemoveApiKey(RefOf(key));
  const TemplateRef& ref = *key.spec.template_ref;
  std::string message = ref.kind + " " + ref.name + " not found";
  if (!ref.cluster()) message += " in namespace " + key.metadata.namespace_name;
  message += ": create it or point spec.templateRef at one that exists";
  return WriteNotReady(key, kPhasePending, "TemplateNotFound", message);
}

Action ApiKeyController::ReconcileInOperatorNamespace(const ApiKey& key) {
  env_.index->RemoveApiKey(RefOf(key));
  env_.volatile_keys->Erase(RefOf(key));
  return WriteNotReady(key, kPhaseInvalid, "OperatorNamespace",
                       "keyward does not mint keys in its own namespace " + env_.operator_namespace +
                           ": its admission webhooks skip that namespace (so keyward stays repairable), so "
                           "the escalation check, the key limit and the creator stamp cannot run there; "
                           "create the ApiKey in another namespace");
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

std::optional<SecretKeyState> ApiKeyController::SecretOf(const ApiKey& key, TimePoint now,
                                                        ApiKeyStatus* status, KeyOutcome* out,
                                                        Status* error) {
  const ApiKeyRef ref = RefOf(key);
  const bool known = DigestFromStatus(key.status.key_hash).has_value();
  if (auto recalled = secret_checks_.Recall(ref.String(), now, env_.secret_check_interval)) {
    return recalled;
  }
  // A digest of a pepper we do not hold serves nobody until re-derived:
  // that check does not wait for the budget.
  if (env_.index->LiveDigest(key.status.key_hash) && env_.secret_checks) {
    auto wait = secret_checks_.Slot(ref.String(), env_.secret_checks, RateLimiter::SteadyClock::now());
    if (wait.count() > 0) {
      out->check_deferred = wait;
      return std::nullopt;
    }
  }
  SecretKeyState secret =
      EnsureKeySecret(*env_.kube, key, env_.index->hasher(), /*try_create_first=*/!known, now);
  switch (secret.outcome) {
    case SecretKeyState::Outcome::kRetry:
      *error = Status::Error(secret.message);
      return std::nullopt;
    case SecretKeyState::Outcome::kConflict:
      LoseKey(ref, secret.message, status, out);
      return std::nullopt;
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
  secret_checks_.Remember(ref.String(), secret, now);
  return secret;
}

Status ApiKeyController::MintPermanent(const ApiKey& key, TimePoint now, ApiKeyStatus* status,
                                       KeyOutcome* out) {
  const ApiKeyRef ref = RefOf(key);
  auto known = env_.index->LiveDigest(key.status.key_hash);
  if (!env_.is_leader()) {
    // Followers answer checks from status alone; they never touch Secrets.
    if (known) IndexKeys(env_.index, ref, *known, ValidPrevious(key.status, now, *env_.index), now);
    return Status();
  }
  Status error;
  std::optional<SecretKeyState> secret = SecretOf(key, now, status, out, &error);
  if (out->check_deferred) {
    // Served from status, as a follower would, until the check's turn.
    IndexKeys(env_.index, ref, *known, ValidPrevious(key.status, now, *env_.index), now);
    return Status();
  }
  if (!secret) return error;
  if (!out->minted) NoteForeignPepper(key, *secret, now, status);
  // The Secret is the record. While status lags behind it (our own write
  // not seen yet, a crash between the two writes) status is repaired from
  // it and nothing rotates: a stale status never causes a second rotation.
  if (known && *known == secret->digest) {
    if (Status rotated = RotatePermanent(key, now, &*secret, status, out); !rotated.ok()) return rotated;
  }
  // The previous key: the Secret's record; a Secret from before keyward kept
  // one falls back to status while status still describes this key.
  std::optional<PreviousKey> previous = secret->previous;
  std::string previous_pepper = secret->previous_pepper;
  if (!secret->minted_at && known && *known == secret->digest) {
    previous = ValidPrevious(*status, now, *env_.index);
    DigestFromStatus(status->previous_key_hash, &previous_pepper);
  }
  // A previous key of a pepper no longer held cannot be matched.
  if (previous && (now >= previous->second || !env_.index->KnowsPepper(previous_pepper))) previous.reset();
  if (auto holder = IndexKeys(env_.index, ref, secret->digest, previous, now)) {
    LoseKey(ref, "the key in Secret " + EffectiveSecretName(key) + " is the key of ApiKey " +
                     holder->String() + " (a copied Secret?); it stays with that ApiKey. Delete "
                     "the Secret to mint a new key", status, out);
    return Status();
  }
  status->key_hash = env_.index->hasher().ToStatus(secret->digest);
  status->key_hint = secret->hint;
  status->previous_key_hash = previous ? DigestToStatus(previous_pepper, previous->first) : "";
  status->previous_valid_until = previous ? FormatRfc3339(previous->second) : "";
  if (secret->previous && secret->minted_at) status->last_rotated_at = FormatRfc3339(*secret->minted_at);
  status->secret_name = EffectiveSecretName(key);
  return Status();
}

void ApiKeyController::NoteForeignPepper(const ApiKey& key, const SecretKeyState& secret,
                                         TimePoint now, ApiKeyStatus* status) {
  std::string pepper;
  auto recorded = DigestFromStatus(key.status.key_hash, &pepper);
  // Same bytes under no id: a status written before digests named their
  // pepper, by this pepper. Only the form changes.
  if (!recorded || env_.index->KnowsPepper(pepper) || DigestsEqual(*recorded, secret.digest)) return;
  const std::string message =
      "status.keyHash was made with pepper '" + pepper + "', which this operator does not hold "
      "(was the pepper Secret deleted or replaced?); re-derived from the key in Secret " +
      EffectiveSecretName(key) + " with pepper '" + env_.index->hasher().id() +
      "': the key works as before, a previous key still in its rotation overlap no longer does";
  static std::atomic<bool> logged{false};
  if (!logged.exchange(true)) {
    spdlog::error("ApiKeys carry digests of a pepper this operator does not hold ('{}'); each "
                  "permanent key is re-derived from its Secret (event PepperChanged on each)", pepper);
  }
  spdlog::warn("{}/{}: {}", key.metadata.namespace_name, key.metadata.name, message);
  Event(key, {"Warning", "PepperChanged", message});
  SetCondition(status, kPepperChangedCondition, true, "Rederived", message, key.metadata.generation, now);
}

Status ApiKeyController::RotatePermanent(const ApiKey& key, TimePoint now, SecretKeyState* secret,
                                         ApiKeyStatus* status, KeyOutcome* out) {
  // Born when the Secret says (microseconds), else the older records.
  const TimePoint born = secret->minted_at.value_or(
      ParseRfc3339(status->last_rotated_at)
          .value_or(ParseRfc3339(key.metadata.creation_timestamp).value_or(now)));
  auto due = RotationDue(key, born);
  if (!out->minted && due && now >= *due) {
    PreviousKey replaced{secret->digest, AddSaturating(now, RotationOverlap(key))};
    SecretKeyState next = RotateKeySecret(*env_.kube, key, env_.index->hasher(), now, replaced);
    if (next.outcome != SecretKeyState::Outcome::kMinted) return Status::Error(next.message);
    *secret = next;
    secret_checks_.Remember(RefOf(key).String(), next, now);
    out->rotated = true;
    RemoveCondition(status, kPepperChangedCondition);  // nothing of the old pepper is left
  }
  out->next_rotation = RotationDue(key, secret->minted_at.value_or(born));
  return Status();
}

void ApiKeyController::MintVolatile(const ApiKey& key, TimePoint now, ApiKeyStatus* status,
                                    KeyOutcome* out) {
  const ApiKeyRef ref = RefOf(key);
  status->key_hash.clear();  // never in etcd
  status->secret_name.clear();
  status->previous_key_hash.clear();
  std::optional<VolatileKey> held = env_.volatile_keys->Get(ref, key.metadata.uid);
  if (!env_.is_leader()) {
    // A follower holds the leader's digests (replicas/, docs/replicas.md):
    // it indexes what it was told and never mints or rotates.
    if (!held) {
      env_.index->RetainKeys(ref, {});
      return;
    }
    out->next_rotation = RotationDue(key, held->minted_at);
    IndexKeys(env_.index, ref, held->digest, held->previous, now);
    status->key_hint = held->hint;
    return;
  }
  // The leader keeps a key it learned as a follower (a failover): only a key
  // no replica holds is minted again.
  if (!held) {
    // A hint in status but no key in memory: a previous process minted it.
    out->lost = !key.status.key_hint.empty();
    held = env_.volatile_keys->Put(ref, key.metadata.uid, MintKey(), env_.index->hasher(), now);
    out->minted = true;
    spdlog::debug("volatile key of {} minted (hint {})", ref.String(), held->hint);
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
  if (env_.uses_template) env_.uses_template(RefOf(key), key.spec.template_ref);
  const TimePoint now = env_.now();
  FieldErrors semantic = ValidateApiKey(key, now, /*creating=*/false);
  errors.insert(errors.end(), semantic.begin(), semantic.end());
  if (!errors.empty()) return ReconcileInvalid(key, errors);
  if (key.metadata.namespace_name == env_.operator_namespace) return ReconcileInOperatorNamespace(key);
  std::optional<ApiKeyTemplate> tpl = TemplateOf(key);
  if (key.spec.template_ref && !tpl) return ReconcileNoTemplate(key);
  auto policy = PolicyOf(key, now, tpl ? &tpl->spec : nullptr);
  const std::optional<TimePoint> expiry = policy->policy.expires_at.as_optional();
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

  // Readiness: phase, scope and Ready condition.
  status.expires_at = expiry ? FormatRfc3339(*expiry) : "";
  status.observed_generation = key.metadata.generation;
  StampCreator(key, &status);
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
  if (permanent && env_.is_leader()) {
    wake.secret_check = out.check_deferred ? *out.check_deferred
                                           : SecretCheckAfter(store_key, env_.secret_check_interval);
  }
  auto next = NextWake(wake, now);
  return next ? Action::Requeue(*next) : Action::AwaitChange();
}

}  // namespace keyward
