// What the leader knows of each permanent key's Secret: what it last read or
// wrote there and when, and the place a deferred check holds in the budget.
// One compact record per ApiKey; thread-safe.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "base/rate_limiter.h"
#include "controllers/key_secret.h"

namespace keyward {

class SecretChecks {
 public:
  using SteadyClock = RateLimiter::SteadyClock;

  // What was remembered of |key|'s Secret, if it was verified less than
  // |interval| before |now|.
  std::optional<SecretKeyState> Recall(const std::string& key, TimePoint now,
                                       std::chrono::milliseconds interval) const;
  // |secret| was just read or written at |now|.
  void Remember(const std::string& key, const SecretKeyState& secret, TimePoint now);

  // 0 when |key|'s Secret may be checked at |now| within |budget|; else how
  // long until the place it reserved in the budget comes. A key over the
  // budget takes one place and keeps it (no second token on an early wake).
  std::chrono::milliseconds Slot(const std::string& key, RateLimiter* budget,
                                 SteadyClock::time_point now);

  void Forget(const std::string& key);
  std::size_t size() const;

 private:
  static constexpr std::int64_t kNone = INT64_MIN;
  // ~130 bytes with its map node instead of ~350 for a SecretKeyState and a
  // second map: at 100,000 keys this was the controller's largest table.
  struct Record {
    std::int64_t verified_at = kNone;  // ns since the epoch
    std::int64_t slot_at = kNone;      // steady-clock ns of the reserved place
    std::int64_t minted_at = kNone;    // ns since the epoch
    KeyDigest digest{};
    char hint[15] = {};
    std::uint8_t hint_size = 0;
    // A Secret with more to say (a previous key, a message, a long hint):
    // kept whole. Most Secrets have none of it.
    std::unique_ptr<const SecretKeyState> full;
  };
  static void Pack(const SecretKeyState& secret, Record* record);
  static SecretKeyState Unpack(const Record& record);

  mutable std::mutex mu_;
  std::unordered_map<std::string, Record> records_;  // "namespace/name"
};

}  // namespace keyward
