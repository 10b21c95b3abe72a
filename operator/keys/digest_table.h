// A hash table from key digest to the policy of its ApiKey: an open-addressed
// probe array of 8-byte slots over a dense array of one-cache-line entries.
// Not thread-safe: KeyIndex serialises writers and shares readers.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "keys/key_hash.h"
#include "base/time_format.h"

namespace keyward {

struct IndexedPolicy;

class DigestTable {
 public:
  // Exactly one cache line: a lookup reads its probe slots and then this.
  struct alignas(64) Slot {
    KeyDigest digest{};
    std::int64_t until = kNoEnd;  // nanoseconds since the epoch, or kNoEnd
    std::shared_ptr<const IndexedPolicy> policy;
    const void* prefetch = nullptr;  // the policy's compiled rules, fetched with it

    TimePoint valid_until() const {
      return until == kNoEnd ? TimePoint::max() : TimePoint(std::chrono::nanoseconds(until));
    }
    void set_valid_until(TimePoint t) {
      until = t == TimePoint::max()
                  ? kNoEnd
                  : std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
    }
  };
  static constexpr std::int64_t kNoEnd = INT64_MAX;

  DigestTable() : probes_(16) {}

  // Returns the slot for |digest|, or nullptr. The pointer is valid until
  // the next Insert or Erase.
  const Slot* Find(const KeyDigest& digest) const;
  Slot* Find(const KeyDigest& digest);

  // Inserts or returns the existing slot for |digest|.
  Slot* Insert(const KeyDigest& digest);
  bool Erase(const KeyDigest& digest);

  std::size_t size() const { return slots_.size(); }

 private:
  // Where a digest's slot is: its index in slots_ and 32 more bits of the
  // digest, so a probe that is not it rarely reads the slot.
  struct Probe {
    std::uint32_t slot = kFree;
    std::uint32_t tag = 0;
  };
  static constexpr std::uint32_t kFree = UINT32_MAX, kErased = UINT32_MAX - 1;

  // The probe position holding |digest|, or probes_.size().
  std::size_t FindProbe(const KeyDigest& digest) const;
  void Rehash(std::size_t capacity);
  void Place(const KeyDigest& digest, std::uint32_t slot);

  std::vector<Probe> probes_;  // size is a power of two; at most half used
  std::size_t erased_ = 0;     // kErased probes
  std::vector<Slot> slots_;    // dense: an erased slot takes the last one's place
};

}  // namespace keyward
