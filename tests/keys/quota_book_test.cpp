#include "keys/quota_book.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>
#include <vector>

namespace keyward {
namespace {

const TimePoint kNow = *ParseRfc3339("2026-11-22T12:00:00Z");

TEST(QuotaBook, CountsEachApiKeyOnItsOwn) {
  QuotaBook book;
  Limits day{std::nullopt, 2, std::nullopt};
  ApiKeyRef a{"team-a", "a"}, b{"team-a", "b"};
  EXPECT_TRUE(book.TryConsume(a, day, kNow).allowed);
  EXPECT_TRUE(book.TryConsume(a, day, kNow).allowed);
  QuotaResult third = book.TryConsume(a, day, kNow);
  EXPECT_FALSE(third.allowed);
  EXPECT_STREQ(third.exceeded, "day");
  EXPECT_TRUE(book.TryConsume(b, day, kNow).allowed);
  EXPECT_EQ(book.Peek(b, day, kNow).remaining_day, 1);
  book.Forget(a);
  EXPECT_TRUE(book.TryConsume(a, day, kNow).allowed);
}

TEST(QuotaBook, RestoredCountsAreHonoured) {
  int asked = 0;
  QuotaBook book([&](const ApiKeyRef&) -> std::optional<FlushedUsage> {
    ++asked;
    return FlushedUsage{10, 99, 99, kNow};
  });
  Limits month{std::nullopt, std::nullopt, 100};
  ApiKeyRef a{"team-a", "a"};
  EXPECT_TRUE(book.TryConsume(a, month, kNow).allowed);
  EXPECT_FALSE(book.TryConsume(a, month, kNow).allowed);
  EXPECT_EQ(asked, 1);  // once per key, not per request
}

TEST(QuotaBook, ConcurrentCallersNeverOverspend) {
  QuotaBook book;
  Limits day{std::nullopt, 1000, std::nullopt};
  ApiKeyRef a{"team-a", "a"};
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) allowed += book.TryConsume(a, day, kNow).allowed;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 1000);
}

}  // namespace
}  // namespace keyward

namespace keyward {
namespace {

TEST(QuotaBook, CountsUsageWithoutLimitsAndHandsOutChangesOnce) {
  QuotaBook book;
  ApiKeyRef a{"team-a", "a"}, b{"team-a", "b"};
  Limits none;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(book.TryConsume(a, none, kNow).allowed);
  book.Touch(b, kNow + Seconds(5));  // authenticated: used, not counted
  std::vector<UsageSnapshot> changed = book.TakeChanged(kNow + Seconds(10));
  ASSERT_EQ(changed.size(), 2u);
  std::sort(changed.begin(), changed.end(),
            [](const UsageSnapshot& x, const UsageSnapshot& y) { return x.ref.name < y.ref.name; });
  EXPECT_EQ(changed[0].ref, a);
  EXPECT_EQ(changed[0].today, 3);
  EXPECT_EQ(changed[0].this_month, 3);
  EXPECT_EQ(changed[0].total, 3);
  EXPECT_EQ(changed[0].last_used, kNow);
  EXPECT_EQ(changed[1].total, 0);
  EXPECT_EQ(changed[1].last_used, kNow + Seconds(5));
  EXPECT_TRUE(book.TakeChanged(kNow).empty());  // nothing new since
  book.MarkUnwritten(a);                         // a failed write comes back
  ASSERT_EQ(book.TakeChanged(kNow).size(), 1u);
}

TEST(QuotaBook, DeniedRequestsAreNotUsage) {
  QuotaBook book;
  ApiKeyRef a{"team-a", "a"};
  Limits one{1, std::nullopt, std::nullopt};
  EXPECT_TRUE(book.TryConsume(a, one, kNow).allowed);
  EXPECT_FALSE(book.TryConsume(a, one, kNow).allowed);
  std::vector<UsageSnapshot> changed = book.TakeChanged(kNow);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].total, 1);
}

TEST(QuotaBook, RestoresFromTheSourceOnceOnFirstUse) {
  int asked = 0;
  QuotaBook book([&](const ApiKeyRef& ref) -> std::optional<FlushedUsage> {
    ++asked;
    if (ref.name != "a") return std::nullopt;
    return FlushedUsage{99, 500, 7000, kNow - Seconds(60)};
  });
  Limits day{std::nullopt, 100, std::nullopt};
  ApiKeyRef a{"team-a", "a"};
  QuotaResult r = book.TryConsume(a, day, kNow);
  EXPECT_TRUE(r.allowed);
  EXPECT_EQ(r.remaining_day, 0);
  EXPECT_FALSE(book.TryConsume(a, day, kNow).allowed);  // 99 before the restart + 1
  EXPECT_EQ(asked, 1);
  std::vector<UsageSnapshot> changed = book.TakeChanged(kNow);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].total, 7001);
  EXPECT_EQ(changed[0].this_month, 501);
  // Counts from yesterday do not hold today's quota.
  QuotaBook next_day([&](const ApiKeyRef&) -> std::optional<FlushedUsage> {
    return FlushedUsage{100, 500, 7000, kNow - std::chrono::hours(24)};
  });
  EXPECT_TRUE(next_day.TryConsume(a, day, kNow).allowed);
}

}  // namespace
}  // namespace keyward
