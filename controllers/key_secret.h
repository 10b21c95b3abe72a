// Delivery of permanent keys: the Secret (type keyward.io/api-key) that
// holds data.key, owned by its ApiKey. The key's HMAC and hint ride along as
// annotations for people; the operator derives both from data.key itself.
#pragma once
#include <cpprest/json.h>

#include <optional>
#include <string>

#include "api/apikey.h"
#include "keys/key_hash.h"
#include "kube/kube_client.h"

namespace keyward {

inline constexpr const char* kSecretType = "keyward.io/api-key";
inline constexpr const char* kKeyHashAnnotation = "keyward.io/key-hash";
inline constexpr const char* kKeyHintAnnotation = "keyward.io/key-hint";
inline constexpr const char* kApiKeyLabel = "keyward.io/apikey";

// The Secret object for |key| holding |value|.
web::json::value BuildKeySecret(const ApiKey& key, const std::string& value,
                                const KeyDigest& digest);

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
};

// Makes sure the Secret of a permanent ApiKey exists and never overwrites an
// existing key. |try_create_first| skips the read when status says nothing
// was minted yet (the common first reconcile): one write instead of two.
SecretKeyState EnsureKeySecret(KubeClient& client, const ApiKey& key, const KeyHasher& hasher,
                               bool try_create_first);

// Replaces the key in the existing Secret of |key| with a fresh one
// (rotation). Returns kMinted with the new digest, or kRetry / kConflict.
SecretKeyState RotateKeySecret(KubeClient& client, const ApiKey& key, const KeyHasher& hasher);

}  // namespace keyward
