// Per-key request quotas: per second, per UTC calendar day and per UTC
// calendar month. Pure counters, the time is a parameter; not thread-safe
// (the owner serialises access, e.g. one mutex per key).
#pragma once
#include <cstdint>
#include <optional>

#include "base/time_format.h"
#include "keys/shared_counts.h"

namespace keyward {

// A limit, or none; read like std::optional<std::int64_t> but 8 bytes, not
// 16 (every indexed key holds three). INT64_MIN stands for none.
class OptionalLimit {
 public:
  constexpr OptionalLimit() = default;
  constexpr OptionalLimit(std::nullopt_t) {}
  constexpr OptionalLimit(std::int64_t v) : v_(v == kNone ? kNone + 1 : v) {}
  constexpr OptionalLimit(const std::optional<std::int64_t>& v) : OptionalLimit() {
    if (v) *this = OptionalLimit(*v);
  }
  constexpr bool has_value() const { return v_ != kNone; }
  constexpr explicit operator bool() const { return has_value(); }
  constexpr std::int64_t operator*() const { return v_; }
  constexpr std::int64_t value_or(std::int64_t other) const { return has_value() ? v_ : other; }
  constexpr bool operator==(const OptionalLimit&) const = default;

 private:
  static constexpr std::int64_t kNone = INT64_MIN;
  std::int64_t v_ = kNone;
};

struct Limits {
  OptionalLimit per_second;
  OptionalLimit per_day;
  OptionalLimit per_month;
};

// Remaining requests in each window after the call; nullopt = unlimited.
struct QuotaResult {
  bool allowed = true;
  const char* exceeded = nullptr;  // "second", "day" or "month" when denied
  std::optional<std::int64_t> remaining_second;
  std::optional<std::int64_t> remaining_day;
  std::optional<std::int64_t> remaining_month;
  Seconds retry_after{0};  // until the exceeded window resets
};

class QuotaCounter {
 public:
  QuotaCounter() = default;

  // Counts one request at |now| if every limit has room; a denied request is
  // not counted.
  QuotaResult TryConsume(const Limits& limits, TimePoint now);

  // Remaining amounts at |now| without counting anything.
  QuotaResult Peek(const Limits& limits, TimePoint now) const;

  // Restores counts flushed to status before a restart (usage.today,
  // usage.thisMonth and usage.total as of |as_of|), added to any counts made
  // since; day and month counts from another day/month are dropped.
  void Restore(std::int64_t today, std::int64_t this_month, std::int64_t total, TimePoint as_of);

  std::int64_t today(TimePoint now) const;
  std::int64_t this_month(TimePoint now) const;
  std::int64_t total() const { return total_; }

  // The day, month and total counts (not the second: each replica limits
  // its own second); SetShared replaces them, Absorb adds to them.
  SharedCounts Shared() const;
  void SetShared(const SharedCounts& counts);
  void Absorb(const SharedCounts& delta);

 private:
  struct Window {
    std::int64_t id = -1;  // second / day / month number
    std::int64_t count = 0;
    std::int64_t CountIn(std::int64_t current) const { return id == current ? count : 0; }
  };

  Window second_, day_, month_;
  std::int64_t total_ = 0;
};

// Window numbers, exposed for tests: seconds since the epoch, UTC days since
// the epoch, and UTC months since year 0 (year * 12 + month - 1).
std::int64_t SecondNumber(TimePoint t);
std::int64_t DayNumber(TimePoint t);
std::int64_t MonthNumber(TimePoint t);

}  // namespace keyward
