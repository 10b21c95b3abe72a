// The quota counters of every ApiKey (per second, UTC day, UTC month),
// keyed by namespace/name. Thread-safe: one lock for the map, one per key.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "keys/key_index.h"
#include "keys/quota.h"

namespace keyward {

class QuotaBook {
 public:
  QuotaBook() = default;
  QuotaBook(const QuotaBook&) = delete;
  QuotaBook& operator=(const QuotaBook&) = delete;

  // Counts one request of |ref| at |now| if every limit has room.
  QuotaResult TryConsume(const ApiKeyRef& ref, const Limits& limits, TimePoint now);
  // Remaining amounts without counting.
  QuotaResult Peek(const ApiKeyRef& ref, const Limits& limits, TimePoint now) const;
  // Restores counts flushed to status (see QuotaCounter::Restore).
  void Restore(const ApiKeyRef& ref, std::int64_t today, std::int64_t this_month, TimePoint as_of);
  void Forget(const ApiKeyRef& ref);

 private:
  struct Entry {
    std::mutex mu;
    QuotaCounter counter;
  };
  std::shared_ptr<Entry> Find(const std::string& id) const;
  std::shared_ptr<Entry> FindOrAdd(const std::string& id);

  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Entry>> entries_;  // "namespace/name"
};

}  // namespace keyward
