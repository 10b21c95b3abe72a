#include "keys/shared_counts.h"

#include <algorithm>

#include "keys/quota.h"

namespace keyward {

namespace {

// The window (id, count) of a + b.
void AddWindow(std::int64_t a_id, std::int64_t a, std::int64_t b_id, std::int64_t b,
               std::int64_t* id, std::int64_t* count) {
  if (a_id == b_id) {
    *id = a_id, *count = a + b;
  } else if (a_id > b_id) {
    *id = a_id, *count = a;
  } else {
    *id = b_id, *count = b;
  }
}

void SubtractWindow(std::int64_t later_id, std::int64_t later, std::int64_t earlier_id,
                    std::int64_t earlier, std::int64_t* id, std::int64_t* count) {
  *id = later_id;
  if (later_id == earlier_id) {
    *count = std::max<std::int64_t>(0, later - earlier);
  } else {
    *count = later_id > earlier_id ? later : 0;
  }
}

void LargerWindow(std::int64_t a_id, std::int64_t a, std::int64_t b_id, std::int64_t b,
                  std::int64_t* id, std::int64_t* count) {
  if (a_id == b_id) {
    *id = a_id, *count = std::max(a, b);
  } else if (a_id > b_id) {
    *id = a_id, *count = a;
  } else {
    *id = b_id, *count = b;
  }
}

}  // namespace

SharedCounts OneRequestAt(TimePoint now) {
  return SharedCounts{DayNumber(now), 1, MonthNumber(now), 1, 1, now};
}

SharedCounts Plus(const SharedCounts& a, const SharedCounts& b) {
  SharedCounts out;
  AddWindow(a.day_id, a.day, b.day_id, b.day, &out.day_id, &out.day);
  AddWindow(a.month_id, a.month, b.month_id, b.month, &out.month_id, &out.month);
  out.total = a.total + b.total;
  out.last_used = std::max(a.last_used, b.last_used);
  return out;
}

SharedCounts Larger(const SharedCounts& a, const SharedCounts& b) {
  SharedCounts out;
  LargerWindow(a.day_id, a.day, b.day_id, b.day, &out.day_id, &out.day);
  LargerWindow(a.month_id, a.month, b.month_id, b.month, &out.month_id, &out.month);
  out.total = std::max(a.total, b.total);
  out.last_used = std::max(a.last_used, b.last_used);
  return out;
}

SharedCounts Minus(const SharedCounts& later, const SharedCounts& earlier) {
  SharedCounts out;
  SubtractWindow(later.day_id, later.day, earlier.day_id, earlier.day, &out.day_id, &out.day);
  SubtractWindow(later.month_id, later.month, earlier.month_id, earlier.month, &out.month_id,
                 &out.month);
  out.total = std::max<std::int64_t>(0, later.total - earlier.total);
  out.last_used = later.last_used;
  return out;
}

}  // namespace keyward
