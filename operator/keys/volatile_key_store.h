// Volatile keys: held only in this process's memory, never written to etcd,
// a Secret, status or a log. Keyed by ApiKey and its uid. Thread-safe.
#pragma once
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>
#include <cstdint>

#include "keys/key_hash.h"
#include "keys/key_index.h"
#include "base/time_format.h"

namespace keyward {

struct VolatileKey {
  std::string uid;        // the ApiKey incarnation the key belongs to
  KeyDigest digest{};
  std::string hint;
  TimePoint minted_at{};
  bool revealed = false;  // shown once through the reveal endpoint
  bool minted_here = true;  // false: a digest learned from the leader (no value here)
  // The key replaced by the last rotation and until when it stays valid.
  std::optional<std::pair<KeyDigest, TimePoint>> previous;
};

class VolatileKeyStore {
 public:
  VolatileKeyStore() = default;
  ~VolatileKeyStore();
  VolatileKeyStore(const VolatileKeyStore&) = delete;
  VolatileKeyStore& operator=(const VolatileKeyStore&) = delete;

  // The key of |ref| if it belongs to incarnation |uid|.
  std::optional<VolatileKey> Get(const ApiKeyRef& ref, const std::string& uid) const;
  // Stores a freshly minted |key| (the value is kept for one reveal).
  VolatileKey Put(const ApiKeyRef& ref, const std::string& uid, std::string key,
                  const KeyHasher& hasher, TimePoint now);
  // Replaces the key of |ref| with |key|; the old one stays valid (in the
  // index) until |previous_valid_until|.
  VolatileKey Rotate(const ApiKeyRef& ref, const std::string& uid, std::string key,
                     const KeyHasher& hasher, TimePoint now, TimePoint previous_valid_until);
  // Returns the key value once, then forgets the value (not the digest).
  std::optional<std::string> Reveal(const ApiKeyRef& ref);
  // The same, saying why there is no value: never held here, or shown once
  // already. The caller wipes |key| (OPENSSL_cleanse) once it is sent.
  struct Revealed {
    // kMintedElsewhere: only the digest is here; the value is on the replica
    // that minted it.
    enum class Status { kRevealed, kAlreadyRevealed, kNotHeld, kMintedElsewhere } status =
        Status::kNotHeld;
    std::string key;
  };
  Revealed RevealOnce(const ApiKeyRef& ref);
  void Erase(const ApiKeyRef& ref);

  // Replication (docs/replicas.md): digests only, never a value.
  struct Held {
    ApiKeyRef ref;
    VolatileKey key;
  };
  // Every key held, without values; |version| (optional) gets the version.
  std::vector<Held> Snapshot(std::uint64_t* version = nullptr) const;
  // Bumped by every change; a follower asks for a snapshot when it differs.
  std::uint64_t version() const;
  // Makes this store hold exactly |leader|'s keys: a key with the same uid
  // and digest keeps its value (minted here before a failover); any other is
  // replaced by the digest alone. Returns the ApiKeys whose key changed.
  std::vector<ApiKeyRef> AdoptAll(const std::vector<Held>& leader);

 private:
  void BumpLocked() { ++version_; }
  struct Entry {
    VolatileKey meta;
    std::string value;  // cleared after reveal
  };
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  std::uint64_t version_ = 1;
};

}  // namespace keyward
