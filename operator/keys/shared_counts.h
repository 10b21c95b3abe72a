// A key's day, month and total counts with the windows they belong to: what
// replicas exchange so quotas and usage hold across them (docs/replicas.md).
// Pure values and arithmetic; the time is a parameter.
#pragma once
#include <cstdint>

#include "base/time_format.h"

namespace keyward {

struct SharedCounts {
  std::int64_t day_id = -1, day = 0;      // UTC day number (DayNumber) and its count
  std::int64_t month_id = -1, month = 0;  // UTC month number (MonthNumber) and its count
  std::int64_t total = 0;
  TimePoint last_used{};
  bool empty() const { return day == 0 && month == 0 && total == 0 && last_used == TimePoint{}; }
  bool operator==(const SharedCounts&) const = default;
};

// One request at |now|.
SharedCounts OneRequestAt(TimePoint now);
// a + b: counts of the same window add up; of different windows the newer
// window's count stands (an older day's count is not today's).
SharedCounts Plus(const SharedCounts& a, const SharedCounts& b);
// The larger of two cumulative counts: of the same window the larger
// count, of different windows the newer window's; the larger total.
SharedCounts Larger(const SharedCounts& a, const SharedCounts& b);
// What |later| (a cumulative count) holds beyond |earlier|: a window that
// moved on counts from 0; never negative.
SharedCounts Minus(const SharedCounts& later, const SharedCounts& earlier);

}  // namespace keyward
