#include "controllers/key_secret.h"

#include <openssl/crypto.h>

#include <algorithm>

#include "base/base64.h"
#include "controllers/reconcile_steps.h"
#include "keys/key_format.h"
#include "kube/json_fields.h"

namespace keyward {

using web::json::value;

web::json::value BuildKeySecret(const ApiKey& key, const std::string& key_value,
                                const std::string& key_hash, TimePoint minted_at) {
  const ApiKeySpec& spec = key.spec;
  value s;
  s["apiVersion"] = value::string("v1");
  s["kind"] = value::string("Secret");
  s["type"] = value::string(kSecretType);
  value& meta = s["metadata"];
  meta["name"] = value::string(EffectiveSecretName(key));
  meta["namespace"] = value::string(key.metadata.namespace_name);
  for (const auto& [k, v] : spec.secret_template.labels) meta["labels"][k] = value::string(v);
  meta["labels"][kApiKeyLabel] = value::string(key.metadata.name);
  meta["labels"]["app.kubernetes.io/managed-by"] = value::string("keyward");
  for (const auto& [k, v] : spec.secret_template.annotations) {
    meta["annotations"][k] = value::string(v);
  }
  meta["annotations"][kKeyHashAnnotation] = value::string(key_hash);
  meta["annotations"][kKeyHintAnnotation] = value::string(KeyHint(key_value));
  meta["annotations"][kMintedAtAnnotation] = value::string(FormatMicroTime(minted_at));
  value owner;
  owner["apiVersion"] = value::string(kApiVersion);
  owner["kind"] = value::string(kKind);
  owner["name"] = value::string(key.metadata.name);
  owner["uid"] = value::string(key.metadata.uid);
  owner["controller"] = value::boolean(true);
  owner["blockOwnerDeletion"] = value::boolean(true);
  meta["ownerReferences"] = value::array({owner});
  for (const auto& [k, v] : spec.secret_template.data) s["data"][k] = value::string(Base64Encode(v));
  s["data"]["key"] = value::string(Base64Encode(key_value));
  return s;
}

namespace {

SecretKeyState RetryState(std::string message) {
  SecretKeyState state;
  state.outcome = SecretKeyState::Outcome::kRetry;
  state.message = std::move(message);
  return state;
}

std::string Annotation(const value& obj, const std::string& name) {
  return JsonStringOr(obj, {"metadata", "annotations", name});
}

bool OwnedBy(const value& obj, const std::string& uid) {
  for (const value& ref : JsonArray(obj, {"metadata", "ownerReferences"})) {
    if (JsonString(ref, {"uid"}) == uid) return true;
  }
  return false;
}

// An earlier ApiKey of the same name (deleted, then created again) owns the
// Secret, and the garbage collector has yet to delete it.
bool OwnedByEarlierApiKey(const value& obj, const ApiKey& key) {
  for (const value& ref : JsonArray(obj, {"metadata", "ownerReferences"})) {
    if (JsonString(ref, {"kind"}) == kKind && JsonString(ref, {"name"}) == key.metadata.name &&
        JsonString(ref, {"uid"}) != key.metadata.uid) {
      return true;
    }
  }
  return false;
}

// True when |digest| (of |pepper|) is one this ApiKey's status has shown:
// its key or the previous key of its last rotation. keyward writes the
// previous key's annotation only after the status named that key.
bool StatusHadDigest(const ApiKey& key, const std::string& pepper, const KeyDigest& digest) {
  for (const std::string* shown : {&key.status.key_hash, &key.status.previous_key_hash}) {
    std::string shown_pepper;
    auto d = DigestFromStatus(*shown, &shown_pepper);
    if (d && shown_pepper == pepper && DigestsEqual(*d, digest)) return true;
  }
  return false;
}

// minted-at and the previous key from the annotations, which whoever may
// edit the Secret can write. So the previous key counts only if this
// ApiKey's status has shown it (a deleted key's digest planted there does
// not), it cannot outlast the spec's overlap after minted-at, and a
// minted-at in the future is ignored: the key's age then comes from status
// (lastRotatedAt) or its creation, so the edit cannot postpone rotation.
// (Counting it as "now" would not do: now moves on with every read.)
void ReadHistory(const value& secret, const ApiKey& key, TimePoint now, SecretKeyState* state) {
  state->minted_at = ParseRfc3339(Annotation(secret, kMintedAtAnnotation));
  if (state->minted_at && *state->minted_at > now) state->minted_at.reset();
  auto digest = DigestFromStatus(Annotation(secret, kPreviousKeyHashAnnotation), &state->previous_pepper);
  auto until = ParseRfc3339(Annotation(secret, kPreviousValidUntilAnnotation));
  if (!state->minted_at || !digest || !until) return;
  if (!StatusHadDigest(key, state->previous_pepper, *digest)) return;
  state->previous = PreviousKey{*digest, std::min(*until, AddSaturating(*state->minted_at, RotationOverlap(key)))};
}

SecretKeyState FromExisting(const value& secret, const ApiKey& key, const KeyHasher& hasher, TimePoint now) {
  SecretKeyState state;
  std::string name = key.metadata.namespace_name + "/" + EffectiveSecretName(key);
  if (!OwnedBy(secret, key.metadata.uid)) {
    if (OwnedByEarlierApiKey(secret, key)) {
      state.outcome = SecretKeyState::Outcome::kRetry;
      state.message = "Secret " + name + " belongs to an earlier ApiKey of this name and is "
                      "waiting for the garbage collector; minting once it is gone";
      return state;
    }
    state.outcome = SecretKeyState::Outcome::kConflict;
    state.message = "Secret " + name + " exists and is not owned by this ApiKey; keyward will not "
                    "overwrite it. Delete it or set spec.secretName to another name";
    return state;
  }
  // The digest and hint come from the key itself, never from the
  // annotations: whoever may edit the Secret could copy another ApiKey's.
  std::optional<std::string> key_value = Base64Decode(JsonStringOr(secret, {"data", "key"}));
  if (!key_value || CheckKeyFormat(*key_value) != KeyFormatError::kOk) {
    if (key_value) OPENSSL_cleanse(key_value->data(), key_value->size());
    state.outcome = SecretKeyState::Outcome::kConflict;
    state.message = "Secret " + name + " holds no valid keyward key in data.key; delete the "
                    "Secret to mint a new key";
    return state;
  }
  state.outcome = SecretKeyState::Outcome::kExisting;
  state.digest = hasher.Hash(*key_value);
  state.hint = KeyHint(*key_value);
  OPENSSL_cleanse(key_value->data(), key_value->size());
  ReadHistory(secret, key, now, &state);
  // An annotation of another pepper is the pepper's change, reported by
  // the controller; of this one and different, a forged or stale copy.
  std::string noted_pepper;
  auto noted = DigestFromStatus(Annotation(secret, kKeyHashAnnotation), &noted_pepper);
  if (noted_pepper == hasher.id() && (!noted || !DigestsEqual(*noted, state.digest))) {
    state.message = "the " + std::string(kKeyHashAnnotation) + " annotation of Secret " + name +
                    " does not match its key; it is ignored";
  }
  return state;
}

// FromExisting, then the key's base64 in the read Secret is zeroed.
SecretKeyState FromExistingWiped(value& secret, const ApiKey& key, const KeyHasher& hasher, TimePoint now) {
  SecretKeyState state = FromExisting(secret, key, hasher, now);
  WipeJsonString(secret, {"data", "key"});
  return state;
}

}  // namespace

SecretKeyState EnsureKeySecret(KubeClient& client, const ApiKey& key, const KeyHasher& hasher,
                               bool try_create_first, TimePoint now) {
  ResourcePath path{"v1", "secrets", key.metadata.namespace_name, EffectiveSecretName(key), ""};
  if (!try_create_first) {
    KubeResult got = client.Get(path);
    if (got.status.ok()) return FromExistingWiped(got.body, key, hasher, now);
    if (!got.status.NotFound()) {
      return RetryState("reading Secret: " + got.status.String());
    }
  }
  std::string key_value = MintKey();
  SecretKeyState state;
  state.digest = hasher.Hash(key_value);
  state.hint = KeyHint(key_value);
  state.minted_at = now;
  value secret = BuildKeySecret(key, key_value, hasher.ToStatus(state.digest), now);
  OPENSSL_cleanse(key_value.data(), key_value.size());
  ResourcePath collection = path;
  collection.name.clear();
  KubeResult created = client.Create(collection, secret);
  WipeJsonString(secret, {"data", "key"});
  WipeJsonString(created.body, {"data", "key"});
  if (created.status.ok()) {
    state.outcome = SecretKeyState::Outcome::kMinted;
    return state;
  }
  if (created.status.AlreadyExists()) {
    // Someone (maybe our previous life, before a crash) created it: adopt it.
    KubeResult got = client.Get(path);
    if (got.status.ok()) return FromExistingWiped(got.body, key, hasher, now);
    return RetryState("reading Secret: " + got.status.String());
  }
  return RetryState("creating Secret: " + created.status.String());
}

SecretKeyState RotateKeySecret(KubeClient& client, const ApiKey& key, const KeyHasher& hasher,
                               TimePoint now, const PreviousKey& replaced) {
  std::string key_value = MintKey();
  SecretKeyState state;
  state.digest = hasher.Hash(key_value);
  state.hint = KeyHint(key_value);
  state.minted_at = now;
  state.previous = replaced;
  state.previous_pepper = hasher.id();
  value patch;
  patch["data"]["key"] = value::string(Base64Encode(key_value));
  value& notes = patch["metadata"]["annotations"];
  notes[kKeyHashAnnotation] = value::string(hasher.ToStatus(state.digest));
  notes[kKeyHintAnnotation] = value::string(state.hint);
  notes[kMintedAtAnnotation] = value::string(FormatMicroTime(now));
  notes[kPreviousKeyHashAnnotation] = value::string(hasher.ToStatus(replaced.first));
  notes[kPreviousValidUntilAnnotation] = value::string(FormatMicroTime(replaced.second));
  OPENSSL_cleanse(key_value.data(), key_value.size());
  ResourcePath path{"v1", "secrets", key.metadata.namespace_name, EffectiveSecretName(key), ""};
  KubeResult patched = client.MergePatch(path, patch);
  WipeJsonString(patch, {"data", "key"});
  WipeJsonString(patched.body, {"data", "key"});
  if (patched.status.ok()) {
    state.outcome = SecretKeyState::Outcome::kMinted;
    return state;
  }
  return RetryState("rotating Secret: " + patched.status.String());
}

}  // namespace keyward
