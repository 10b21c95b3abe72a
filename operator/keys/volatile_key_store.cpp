#include "keys/volatile_key_store.h"

#include "base/secure_memory.h"

namespace keyward {

VolatileKeyStore::~VolatileKeyStore() {
  for (auto& [_, e] : entries_) Wipe(e.value);
}

std::optional<VolatileKey> VolatileKeyStore::Get(const ApiKeyRef& ref,
                                                 const std::string& uid) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(ref.String());
  if (it == entries_.end() || it->second.meta.uid != uid) return std::nullopt;
  return it->second.meta;
}

VolatileKey VolatileKeyStore::Put(const ApiKeyRef& ref, const std::string& uid, std::string key,
                                  const KeyHasher& hasher, TimePoint now) {
  Entry e;
  e.meta.uid = uid;
  e.meta.digest = hasher.Hash(key);
  e.meta.hint = KeyHint(key);
  e.meta.minted_at = now;
  e.value = std::move(key);
  std::lock_guard lock(mu_);
  Entry& slot = entries_[ref.String()];
  Wipe(slot.value);
  slot = std::move(e);
  return slot.meta;
}

VolatileKey VolatileKeyStore::Rotate(const ApiKeyRef& ref, const std::string& uid, std::string key,
                                     const KeyHasher& hasher, TimePoint now,
                                     TimePoint previous_valid_until) {
  std::optional<std::pair<KeyDigest, TimePoint>> previous;
  if (auto old = Get(ref, uid)) previous = std::make_pair(old->digest, previous_valid_until);
  Put(ref, uid, std::move(key), hasher, now);
  std::lock_guard lock(mu_);
  Entry& e = entries_[ref.String()];
  e.meta.previous = previous;
  return e.meta;
}

VolatileKeyStore::Revealed VolatileKeyStore::RevealOnce(const ApiKeyRef& ref) {
  Revealed out;
  std::lock_guard lock(mu_);
  auto it = entries_.find(ref.String());
  if (it == entries_.end()) return out;
  if (it->second.meta.revealed) {
    out.status = Revealed::Status::kAlreadyRevealed;
    return out;
  }
  it->second.meta.revealed = true;
  out.status = Revealed::Status::kRevealed;
  out.key = std::move(it->second.value);  // the heap buffer moves; nothing is left behind
  it->second.value.clear();
  return out;
}

std::optional<std::string> VolatileKeyStore::Reveal(const ApiKeyRef& ref) {
  Revealed r = RevealOnce(ref);
  if (r.status != Revealed::Status::kRevealed) return std::nullopt;
  return std::move(r.key);
}

void VolatileKeyStore::Erase(const ApiKeyRef& ref) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(ref.String());
  if (it == entries_.end()) return;
  Wipe(it->second.value);
  entries_.erase(it);
}

}  // namespace keyward
