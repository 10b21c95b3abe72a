// The key index: HMAC digest -> the ApiKey that owns it and its policy.
// O(1) lookup; safe for many concurrent readers with writers (RwMutex).
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>

#include "base/interned.h"
#include "base/rw_mutex.h"
#include <string>
#include <string_view>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/rw_mutex.h"
#include "keys/key_policy.h"
#include "keys/digest_set.h"
#include "keys/digest_table.h"
#include "keys/key_format.h"
#include "keys/key_hash.h"
#include "keys/quota.h"

namespace keyward {

// namespace/name of an ApiKey.
struct ApiKeyRef {
  std::string namespace_name;
  std::string name;
  std::string String() const { return namespace_name + "/" + name; }
  // From "namespace/name" (a store key); no slash: cluster-scoped name.
  static ApiKeyRef FromKey(std::string_view key) {
    auto slash = key.find('/');
    if (slash == std::string_view::npos) return {"", std::string(key)};
    return {std::string(key.substr(0, slash)), std::string(key.substr(slash + 1))};
  }
  bool operator==(const ApiKeyRef&) const = default;
};

// Everything a lookup needs to decide, shared immutably between readers.
struct IndexedPolicy {
  ApiKeyRef ref;
  KeyPolicy policy;
  Limits limits;
  // spec.templateRef's name, for per-key metrics; "" if none. Interned:
  // 8 bytes instead of 32 in every key's policy.
  const std::string* template_name = Interned("");
};

enum class LookupStatus { kFound, kMalformed, kUnknown, kDisabled, kExpired };

struct LookupResult {
  LookupStatus status = LookupStatus::kUnknown;
  KeyFormatError format_error = KeyFormatError::kOk;  // when kMalformed
  std::shared_ptr<const IndexedPolicy> policy;        // when the digest is known (ref inside)
  KeyDigest digest{};                                 // the digest found, when it is known
};

// Found, disabled or expired for |policy| at |now|.
LookupStatus PolicyStatus(const KeyPolicy& policy, TimePoint now);

class KeyIndex {
 public:
  // Digests are made with |pepper|; keys whose digests were made with
  // |previous| (a pepper being rotated out) are still found.
  explicit KeyIndex(std::string_view pepper, std::string_view previous = {});
  KeyIndex(const KeyIndex&) = delete;
  KeyIndex& operator=(const KeyIndex&) = delete;

  // The current pepper's hasher: every new digest is made with it.
  const KeyHasher& hasher() const { return hasher_; }
  // Whether digests carrying |pepper_id| can be matched here.
  bool KnowsPepper(std::string_view pepper_id) const;
  // The digest in a status/annotation text, if its pepper is one of ours.
  std::optional<KeyDigest> LiveDigest(std::string_view text) const;

  // Makes |digest| a valid key of |ref| until |valid_until| (nullopt: until
  // removed or the policy expires). Idempotent. A digest belongs to the
  // first ApiKey that added it: for another ApiKey nothing changes and the
  // holder is returned (a copied Secret, a forged status).
  std::optional<ApiKeyRef> AddKey(const ApiKeyRef& ref, const KeyDigest& digest,
                                  std::optional<TimePoint> valid_until = std::nullopt);

  // Limits an existing key of |ref| to |valid_until| (rotation overlap).
  void RetireKey(const ApiKeyRef& ref, const KeyDigest& digest, TimePoint valid_until);

  // Replaces the policy shared by all keys of policy->ref. Keys without a
  // policy are treated as unknown.
  void SetPolicy(std::shared_ptr<const IndexedPolicy> policy);

  // Removes one key / every key and the policy of |ref|.
  void RemoveKey(const ApiKeyRef& ref, const KeyDigest& digest);
  void RemoveApiKey(const ApiKeyRef& ref);

  // Removes every ApiKey whose "namespace/name" |keep| rejects; returns how
  // many. |keep| is asked of every ApiKey under the shared lock (checks go
  // on), then again of each it rejected under the write lock; it must not
  // call into the index.
  std::size_t RetainApiKeys(const std::function<bool(const std::string& key)>& keep);

  // Keeps only the digests in |keep| for |ref|.
  void RetainKeys(const ApiKeyRef& ref, const std::vector<KeyDigest>& keep);

  // Checks the key's format (no lookup for a typo), hashes it and looks it
  // up; disabled and expired keys are reported as such at |now|.
  LookupResult Lookup(std::string_view key, TimePoint now) const;
  LookupResult LookupDigest(const KeyDigest& digest, TimePoint now) const;
  // The ApiKey |ref| itself (for callers that know who, not which key:
  // SubjectAccessReview); disabled and expired as for a key. kUnknown when
  // |ref| has no policy.
  LookupResult LookupRef(const ApiKeyRef& ref, TimePoint now) const;

  std::vector<KeyDigest> KeysOf(const ApiKeyRef& ref) const;
  std::size_t size() const;

  // A count that moves after every write that may change an answer (a
  // policy set; a key added, retired or removed), never before the write
  // is visible: a reader that saw one value and later sees another asks
  // again (an open log stream re-checks its key only then).
  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  struct Record {
    std::shared_ptr<const IndexedPolicy> policy;
    DigestSet digests;
  };

  // The ApiKey whose record holds |digest|, if any.
  std::optional<ApiKeyRef> HolderLocked(const KeyDigest& digest) const;
  static void SetSlotPolicy(DigestTable::Slot* slot, std::shared_ptr<const IndexedPolicy> policy);

  const KeyHasher hasher_;
  const std::unique_ptr<const KeyHasher> previous_;  // null: one pepper
  mutable RwMutex mu_;  // writers first: lookups never starve an update
  DigestTable by_digest_;
  std::unordered_map<std::string, Record> by_ref_;  // "namespace/name"
  std::atomic<std::uint64_t> generation_{0};         // moved under the write lock
};

}  // namespace keyward
