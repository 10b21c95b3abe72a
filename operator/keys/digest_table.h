// An open-addressing hash table from key digest to the policy of its ApiKey,
// laid out so a lookup touches one cache line. Not thread-safe: KeyIndex
// serialises writers and shares readers.
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
  // Exactly one cache line. |until| doubles as the slot state: kEmpty and
  // kDeleted mark free slots, kNoEnd a key valid until removed.
  struct alignas(64) Slot {
    KeyDigest digest{};
    std::int64_t until = kEmpty;  // nanoseconds since the epoch, or a mark
    std::shared_ptr<const IndexedPolicy> policy;
    const void* prefetch = nullptr;  // the policy's compiled rules, fetched with it

    bool full() const { return until != kEmpty && until != kDeleted; }
    TimePoint valid_until() const {
      return until == kNoEnd ? TimePoint::max() : TimePoint(std::chrono::nanoseconds(until));
    }
    void set_valid_until(TimePoint t) {
      until = t == TimePoint::max()
                  ? kNoEnd
                  : std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
    }
  };
  static constexpr std::int64_t kEmpty = INT64_MIN, kDeleted = INT64_MIN + 1, kNoEnd = INT64_MAX;

  DigestTable() : slots_(16) {}

  // Returns the slot for |digest|, or nullptr. The pointer is valid until
  // the next Insert or Erase.
  const Slot* Find(const KeyDigest& digest) const;
  Slot* Find(const KeyDigest& digest);

  // Inserts or returns the existing slot for |digest|.
  Slot* Insert(const KeyDigest& digest);
  bool Erase(const KeyDigest& digest);

  std::size_t size() const { return size_; }

 private:
  std::size_t Home(const KeyDigest& digest) const;
  void Rehash(std::size_t capacity);

  std::vector<Slot> slots_;  // size is a power of two
  std::size_t size_ = 0;
  std::size_t deleted_ = 0;
};

}  // namespace keyward
