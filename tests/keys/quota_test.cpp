#include "keys/quota.h"

#include <gtest/gtest.h>

namespace keyward {
namespace {

TimePoint At(const char* rfc3339) { return *ParseRfc3339(rfc3339); }

TEST(OptionalLimit, ReadsLikeAnOptionalInHalfTheBytes) {
  EXPECT_EQ(sizeof(Limits), 3 * sizeof(std::int64_t));
  OptionalLimit none, from_nullopt(std::nullopt), empty(std::optional<std::int64_t>{});
  EXPECT_FALSE(none || from_nullopt || empty);
  EXPECT_EQ(none.value_or(7), 7);
  for (std::int64_t v : {std::int64_t{5}, std::int64_t{0}, std::int64_t{-3}, INT64_MAX}) {
    OptionalLimit l(std::optional<std::int64_t>{v});
    ASSERT_TRUE(l.has_value()) << v;
    EXPECT_EQ(*l, v);
  }
  // The one value that stands for none still reads as a (negative) limit,
  // so validation rejects it rather than taking it for "no limit".
  OptionalLimit lowest(INT64_MIN);
  EXPECT_TRUE(lowest.has_value());
  EXPECT_LT(*lowest, 0);
}

TEST(Quota, UnlimitedAlwaysAllows) {
  QuotaCounter q;
  Limits none;
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(q.TryConsume(none, At("2026-11-22T12:00:00Z")).allowed);
  EXPECT_EQ(q.total(), 1000);
  EXPECT_FALSE(q.Peek(none, At("2026-11-22T12:00:00Z")).remaining_day.has_value());
}

TEST(Quota, PerSecondResetsNextSecond) {
  QuotaCounter q;
  Limits l;
  l.per_second = 3;
  TimePoint t = At("2026-11-22T12:00:00.100Z");
  EXPECT_EQ(q.TryConsume(l, t).remaining_second, 2);
  EXPECT_EQ(q.TryConsume(l, t).remaining_second, 1);
  EXPECT_EQ(q.TryConsume(l, t).remaining_second, 0);
  QuotaResult denied = q.TryConsume(l, At("2026-11-22T12:00:00.900Z"));
  EXPECT_FALSE(denied.allowed);
  EXPECT_STREQ(denied.exceeded, "second");
  EXPECT_EQ(denied.retry_after, Seconds(1));
  EXPECT_TRUE(q.TryConsume(l, At("2026-11-22T12:00:01Z")).allowed);
  EXPECT_EQ(q.total(), 4);  // denied requests are not counted
}

TEST(Quota, DayBoundaryIsUtcMidnight) {
  QuotaCounter q;
  Limits l;
  l.per_day = 2;
  EXPECT_TRUE(q.TryConsume(l, At("2026-11-22T23:59:58Z")).allowed);
  EXPECT_TRUE(q.TryConsume(l, At("2026-11-22T23:59:59Z")).allowed);
  QuotaResult denied = q.TryConsume(l, At("2026-11-22T23:59:59.999Z"));
  EXPECT_FALSE(denied.allowed);
  EXPECT_STREQ(denied.exceeded, "day");
  EXPECT_EQ(denied.retry_after, Seconds(1));
  // A local offset does not move the UTC day.
  EXPECT_FALSE(q.TryConsume(l, At("2026-11-23T00:30:00+01:00")).allowed);
  QuotaResult next = q.TryConsume(l, At("2026-11-23T00:00:00Z"));
  EXPECT_TRUE(next.allowed);
  EXPECT_EQ(next.remaining_day, 1);
  EXPECT_EQ(q.today(At("2026-11-23T10:00:00Z")), 1);
}

TEST(Quota, MonthBoundaryIncludingYearEndAndFebruary) {
  QuotaCounter q;
  Limits l;
  l.per_month = 1;
  EXPECT_TRUE(q.TryConsume(l, At("2026-12-31T23:59:59Z")).allowed);
  QuotaResult denied = q.TryConsume(l, At("2026-12-31T23:59:59Z"));
  EXPECT_FALSE(denied.allowed);
  EXPECT_STREQ(denied.exceeded, "month");
  EXPECT_EQ(denied.retry_after, Seconds(1));
  EXPECT_TRUE(q.TryConsume(l, At("2027-01-01T00:00:00Z")).allowed);
  EXPECT_TRUE(q.TryConsume(l, At("2028-02-29T00:00:00Z")).allowed);
  EXPECT_FALSE(q.TryConsume(l, At("2028-02-29T23:00:00Z")).allowed);
  EXPECT_TRUE(q.TryConsume(l, At("2028-03-01T00:00:00Z")).allowed);
}

TEST(Quota, AllWindowsReportRemaining) {
  QuotaCounter q;
  Limits l{10, 100, 1000};
  QuotaResult r = q.TryConsume(l, At("2026-11-22T12:00:00Z"));
  EXPECT_EQ(r.remaining_second, 9);
  EXPECT_EQ(r.remaining_day, 99);
  EXPECT_EQ(r.remaining_month, 999);
  QuotaResult peek = q.Peek(l, At("2026-11-22T12:00:05Z"));
  EXPECT_EQ(peek.remaining_second, 10);
  EXPECT_EQ(peek.remaining_day, 99);
}

TEST(Quota, RestoreFromFlushedStatus) {
  QuotaCounter q;
  Limits l;
  l.per_day = 100;
  l.per_month = 1000;
  TimePoint now = At("2026-11-22T12:00:00Z");
  q.TryConsume(l, now);  // a request that raced the restore
  q.Restore(50, 700, 3000, now);
  QuotaResult r = q.Peek(l, now);
  EXPECT_EQ(r.remaining_day, 49);
  EXPECT_EQ(r.remaining_month, 299);
  // Counts restored from yesterday do not count today.
  QuotaCounter fresh;
  fresh.Restore(50, 700, 3000, At("2026-11-21T12:00:00Z"));
  EXPECT_EQ(fresh.Peek(l, now).remaining_day, 100);
  EXPECT_EQ(fresh.Peek(l, now).remaining_month, 300);
  EXPECT_EQ(fresh.total(), 3000);  // the total never resets
}

}  // namespace
}  // namespace keyward
