#include "keys/digest_table.h"

#include <cstring>

namespace keyward {

std::size_t DigestTable::Home(const KeyDigest& digest) const {
  // A digest is an HMAC output: its first bytes are already uniform.
  std::uint64_t h;
  std::memcpy(&h, digest.data(), sizeof(h));
  return static_cast<std::size_t>(h) & (slots_.size() - 1);
}

const DigestTable::Slot* DigestTable::Find(const KeyDigest& digest) const {
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = Home(digest);; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.until == kEmpty) return nullptr;
    if (s.full() && s.digest == digest) return &s;
  }
}

DigestTable::Slot* DigestTable::Find(const KeyDigest& digest) {
  return const_cast<Slot*>(static_cast<const DigestTable*>(this)->Find(digest));
}

DigestTable::Slot* DigestTable::Insert(const KeyDigest& digest) {
  if (Slot* existing = Find(digest)) return existing;
  // Keep the load (live + tombstones) at most one half so probes stay short.
  if ((size_ + deleted_ + 1) * 2 > slots_.size()) {
    Rehash((size_ + 1) * 4 > slots_.size() ? slots_.size() * 2 : slots_.size());
  }
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = Home(digest);; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (!s.full()) {
      if (s.until == kDeleted) --deleted_;
      s = Slot{digest, kNoEnd, nullptr, nullptr};
      ++size_;
      return &s;
    }
  }
}

bool DigestTable::Erase(const KeyDigest& digest) {
  Slot* s = Find(digest);
  if (!s) return false;
  s->until = kDeleted;
  s->policy.reset();
  s->prefetch = nullptr;
  --size_;
  ++deleted_;
  return true;
}

void DigestTable::Rehash(std::size_t capacity) {
  std::vector<Slot> old(capacity);
  old.swap(slots_);
  size_ = 0;
  deleted_ = 0;
  for (Slot& s : old) {
    if (!s.full()) continue;
    Slot* fresh = Insert(s.digest);
    fresh->until = s.until;
    fresh->policy = std::move(s.policy);
    fresh->prefetch = s.prefetch;
  }
}

}  // namespace keyward
