#include "keys/quota_book.h"

#include <gtest/gtest.h>

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
  QuotaBook book;
  Limits month{std::nullopt, std::nullopt, 100};
  ApiKeyRef a{"team-a", "a"};
  book.Restore(a, 10, 99, kNow);
  EXPECT_TRUE(book.TryConsume(a, month, kNow).allowed);
  EXPECT_FALSE(book.TryConsume(a, month, kNow).allowed);
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
