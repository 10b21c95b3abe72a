// Delivery of permanent keys: the Secret (type keyward.io/api-key) that
// holds data.key, owned by its ApiKey. The key's HMAC and hint ride along as
// annotations for people; the operator derives both from data.key itself.
#pragma once
#include <cpprest/json.h>

#include <optional>
#include <string>

#include "api/apikey.h"
#include "api/apikey_policy.h"
#include "keys/key_hash.h"
#include "kube/kube_client.h"

namespace keyward {

inline constexpr const char* kSecretType = "keyward.io/api-key";
inline constexpr const char* kKeyHashAnnotation = "keyward.io/key-hash";
inline constexpr const char* kKeyHintAnnotation = "keyward.io/key-hint";
inline constexpr const char* kApiKeyLabel = "keyward.io/apikey";
// The Secret records the key's history in the same write as the key: when
// it was minted (microseconds), and the key it replaced with the end of that
// key's overlap. Status is derived from these, never the other way round.
inline constexpr const char* kMintedAtAnnotation = "keyward.io/minted-at";
inline constexpr const char* kPreviousKeyHashAnnotation = "keyward.io/previous-key-hash";
inline constexpr const char* kPreviousValidUntilAnnotation = "keyward.io/previous-valid-until";

// The Secret object for |key| holding |value|, minted at |minted_at|.
web::json::value BuildKeySecret(const ApiKey& key, const std::string& value,
                                const std::string& key_hash, TimePoint minted_at);

struct SecretKeyState {
  enum class Outcome {
    kExisting,   // the Secret exists and carries a key: digest/hint valid
    kMinted,     // we created the Secret with a fresh key
    kConflict,   // a Secret of that name exists but is not ours, or holds no key (message says)
    kRetry,      // transient: API error, lost race, or an earlier ApiKey's Secret being collected
  } outcome = Outcome::kRetry;
  KeyDigest digest{};
  std::string hint;
  std::string message;  // for kConflict / kRetry; never contains a key
  // When the key was minted; nullopt for a Secret written before keyward
  // recorded it (status.lastRotatedAt or creation then stand in).
  std::optional<TimePoint> minted_at;
  // The key this one replaced and the end of its overlap (bounded by the
  // spec's overlap after minted_at, so an edited annotation cannot extend it).
  std::optional<PreviousKey> previous;
  std::string previous_pepper;  // the id of the pepper that made previous's digest
};

// Makes sure the Secret of a permanent ApiKey exists and never overwrites an
// existing key. |try_create_first| skips the read when status says nothing
// was minted yet (the common first reconcile): one write instead of two.
SecretKeyState EnsureKeySecret(KubeClient& client, const ApiKey& key, const KeyHasher& hasher,
                               bool try_create_first, TimePoint now);

// Replaces the key in the existing Secret of |key| with a fresh one minted
// at |now|, recording |replaced| in the same patch (rotation). Returns
// kMinted with the new digest, or kRetry.
SecretKeyState RotateKeySecret(KubeClient& client, const ApiKey& key, const KeyHasher& hasher,
                               TimePoint now, const PreviousKey& replaced);

}  // namespace keyward
