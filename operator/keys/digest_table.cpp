#include "keys/digest_table.h"

#include <cstring>

namespace keyward {
namespace {

// A digest is an HMAC output: its bytes are already uniform.
std::size_t Home(const KeyDigest& digest) {
  std::uint64_t h;
  std::memcpy(&h, digest.data(), sizeof(h));
  return static_cast<std::size_t>(h);
}

std::uint32_t Tag(const KeyDigest& digest) {
  std::uint32_t t;
  std::memcpy(&t, digest.data() + 8, sizeof(t));
  return t;
}

}  // namespace

std::size_t DigestTable::FindProbe(const KeyDigest& digest) const {
  const std::size_t mask = probes_.size() - 1;
  const std::uint32_t tag = Tag(digest);
  for (std::size_t i = Home(digest) & mask;; i = (i + 1) & mask) {
    const Probe& p = probes_[i];
    if (p.slot == kFree) return probes_.size();
    if (p.slot != kErased && p.tag == tag && slots_[p.slot].digest == digest) return i;
  }
}

const DigestTable::Slot* DigestTable::Find(const KeyDigest& digest) const {
  const std::size_t i = FindProbe(digest);
  return i == probes_.size() ? nullptr : &slots_[probes_[i].slot];
}

DigestTable::Slot* DigestTable::Find(const KeyDigest& digest) {
  return const_cast<Slot*>(static_cast<const DigestTable*>(this)->Find(digest));
}

void DigestTable::Place(const KeyDigest& digest, std::uint32_t slot) {
  const std::size_t mask = probes_.size() - 1;
  for (std::size_t i = Home(digest) & mask;; i = (i + 1) & mask) {
    Probe& p = probes_[i];
    if (p.slot == kFree || p.slot == kErased) {
      if (p.slot == kErased) --erased_;
      p = Probe{slot, Tag(digest)};
      return;
    }
  }
}

DigestTable::Slot* DigestTable::Insert(const KeyDigest& digest) {
  if (Slot* existing = Find(digest)) return existing;
  // Keep the probes in use (live + erased) at most one half so runs stay short.
  const std::size_t live = slots_.size();
  if ((live + erased_ + 1) * 2 > probes_.size()) {
    Rehash((live + 1) * 4 > probes_.size() ? probes_.size() * 2 : probes_.size());
  }
  slots_.push_back(Slot{digest, kNoEnd, nullptr, nullptr});
  Place(digest, static_cast<std::uint32_t>(slots_.size() - 1));
  return &slots_.back();
}

bool DigestTable::Erase(const KeyDigest& digest) {
  const std::size_t i = FindProbe(digest);
  if (i == probes_.size()) return false;
  const std::uint32_t hole = probes_[i].slot;
  probes_[i].slot = kErased;
  ++erased_;
  const auto last = static_cast<std::uint32_t>(slots_.size() - 1);
  if (hole != last) {
    // The last slot moves into the hole; its probe follows it.
    const std::size_t moved = FindProbe(slots_[last].digest);
    slots_[hole] = std::move(slots_[last]);
    probes_[moved].slot = hole;
  }
  slots_.pop_back();
  return true;
}

void DigestTable::Rehash(std::size_t capacity) {
  probes_.assign(capacity, Probe{});
  erased_ = 0;
  for (std::size_t s = 0; s < slots_.size(); ++s) {
    Place(slots_[s].digest, static_cast<std::uint32_t>(s));
  }
}

}  // namespace keyward
