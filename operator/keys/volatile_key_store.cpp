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
  BumpLocked();
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
  BumpLocked();
  return e.meta;
}

VolatileKeyStore::Revealed VolatileKeyStore::RevealOnce(const ApiKeyRef& ref) {
  Revealed out;
  std::lock_guard lock(mu_);
  auto it = entries_.find(ref.String());
  if (it == entries_.end()) return out;
  if (!it->second.meta.minted_here && it->second.value.empty()) {
    out.status = Revealed::Status::kMintedElsewhere;
    return out;
  }
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
  BumpLocked();
}

std::vector<VolatileKeyStore::Held> VolatileKeyStore::Snapshot(std::uint64_t* version) const {
  std::vector<Held> out;
  std::lock_guard lock(mu_);
  out.reserve(entries_.size());
  for (const auto& [id, e] : entries_) out.push_back({ApiKeyRef::FromKey(id), e.meta});
  if (version) *version = version_;
  return out;
}

std::uint64_t VolatileKeyStore::version() const {
  std::lock_guard lock(mu_);
  return version_;
}

std::vector<ApiKeyRef> VolatileKeyStore::AdoptAll(const std::vector<Held>& leader) {
  std::vector<ApiKeyRef> changed;
  std::unordered_map<std::string, const Held*> wanted;
  for (const Held& h : leader) wanted[h.ref.String()] = &h;
  std::lock_guard lock(mu_);
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (wanted.count(it->first)) {
      ++it;
      continue;
    }
    changed.push_back(ApiKeyRef::FromKey(it->first));
    Wipe(it->second.value);
    it = entries_.erase(it);
  }
  for (const auto& [id, h] : wanted) {
    Entry& slot = entries_[id];
    const bool same = slot.meta.uid == h->key.uid && DigestsEqual(slot.meta.digest, h->key.digest);
    const bool same_previous =
        slot.meta.previous.has_value() == h->key.previous.has_value() &&
        (!slot.meta.previous || (DigestsEqual(slot.meta.previous->first, h->key.previous->first) &&
                                 slot.meta.previous->second == h->key.previous->second));
    if (same && same_previous) continue;
    if (!same) {
      Wipe(slot.value);
      slot.value.clear();
      slot.meta = h->key;
      slot.meta.minted_here = false;
    } else {
      slot.meta.previous = h->key.previous;
    }
    changed.push_back(h->ref);
  }
  if (!changed.empty()) BumpLocked();
  return changed;
}

}  // namespace keyward
