#include "keys/shared_counts.h"

#include <gtest/gtest.h>

#include "keys/quota.h"

namespace keyward {
namespace {

const TimePoint kDay1 = *ParseRfc3339("2026-11-30T23:00:00Z");
const TimePoint kDay2 = *ParseRfc3339("2026-12-01T01:00:00Z");

TEST(SharedCounts, SameWindowsAddUp) {
  SharedCounts two = Plus(OneRequestAt(kDay1), OneRequestAt(kDay1));
  EXPECT_EQ(two.day, 2);
  EXPECT_EQ(two.month, 2);
  EXPECT_EQ(two.total, 2);
  EXPECT_EQ(two.day_id, DayNumber(kDay1));
}

TEST(SharedCounts, ANewerWindowStandsAlone) {
  // Yesterday's count is not today's, nor November's December's.
  SharedCounts mixed = Plus(Plus(OneRequestAt(kDay1), OneRequestAt(kDay1)), OneRequestAt(kDay2));
  EXPECT_EQ(mixed.day_id, DayNumber(kDay2));
  EXPECT_EQ(mixed.day, 1);
  EXPECT_EQ(mixed.month_id, MonthNumber(kDay2));
  EXPECT_EQ(mixed.month, 1);
  EXPECT_EQ(mixed.total, 3);
  EXPECT_EQ(mixed.last_used, kDay2);
  EXPECT_EQ(Plus(OneRequestAt(kDay2), OneRequestAt(kDay1)).day, 1);  // either order
}

TEST(SharedCounts, MinusIsWhatACumulativeCountGained) {
  SharedCounts three = Plus(Plus(OneRequestAt(kDay1), OneRequestAt(kDay1)), OneRequestAt(kDay1));
  SharedCounts one = OneRequestAt(kDay1);
  SharedCounts gained = Minus(three, one);
  EXPECT_EQ(gained.day, 2);
  EXPECT_EQ(gained.total, 2);
  EXPECT_TRUE(Minus(three, three).day == 0 && Minus(three, three).total == 0);
  // Across midnight the new day counts from 0: all of it is new.
  SharedCounts next_day = Plus(three, OneRequestAt(kDay2));
  SharedCounts across = Minus(next_day, three);
  EXPECT_EQ(across.day, 1);
  EXPECT_EQ(across.day_id, DayNumber(kDay2));
  EXPECT_EQ(across.total, 1);
  // Nothing reported yet: everything is new; never negative.
  EXPECT_EQ(Minus(three, SharedCounts{}).total, 3);
  EXPECT_EQ(Minus(one, three).total, 0);
}

}  // namespace
}  // namespace keyward
