#include "base/rate_limiter.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace keyward {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

double Ms(nanoseconds d) { return d.count() / 1e6; }

TEST(RateLimiter, BurstThenQps) {
  RateLimiter limiter(10, 3);
  auto t = RateLimiter::SteadyClock::now();
  EXPECT_EQ(limiter.Reserve(t).count(), 0);
  EXPECT_EQ(limiter.Reserve(t).count(), 0);
  EXPECT_EQ(limiter.Reserve(t).count(), 0);
  EXPECT_NEAR(Ms(limiter.Reserve(t)), 100, 0.01);  // the 4th waits 1/qps
  EXPECT_NEAR(Ms(limiter.Reserve(t)), 200, 0.01);  // reservations queue up behind it
}

TEST(RateLimiter, TryTakeNeverReservesAhead) {
  RateLimiter limiter(10, 2);
  auto t = RateLimiter::SteadyClock::now() + seconds(1);
  EXPECT_EQ(limiter.TryTake(t).count(), 0);
  EXPECT_EQ(limiter.TryTake(t).count(), 0);
  EXPECT_NEAR(Ms(limiter.TryTake(t)), 100, 0.01);
  EXPECT_NEAR(Ms(limiter.TryTake(t)), 100, 0.01);  // asking again costs nothing
  t += milliseconds(100);
  EXPECT_EQ(limiter.TryTake(t).count(), 0);
  EXPECT_GT(limiter.TryTake(t).count(), 0);
}

TEST(RateLimiter, RefillsAtQpsUpToBurst) {
  RateLimiter limiter(10, 3);
  auto t = RateLimiter::SteadyClock::now() + seconds(1);  // after construction: starts full
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.Reserve(t).count(), 0);
  // 150 ms later 1.5 tokens have come back: one now, the next in 50 ms.
  t += milliseconds(150);
  EXPECT_EQ(limiter.Reserve(t).count(), 0);
  EXPECT_NEAR(Ms(limiter.Reserve(t)), 50, 0.01);
  // A long idle period refills to the burst, not beyond.
  t += seconds(100);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.Reserve(t).count(), 0);
  EXPECT_NEAR(Ms(limiter.Reserve(t)), 100, 0.01);
}

TEST(RateLimiter, OutstandingReservationsDelayLaterCallers) {
  RateLimiter limiter(2, 1);
  auto t = RateLimiter::SteadyClock::now() + seconds(1);
  EXPECT_EQ(limiter.Reserve(t).count(), 0);
  EXPECT_NEAR(Ms(limiter.Reserve(t)), 500, 0.01);
  EXPECT_NEAR(Ms(limiter.Reserve(t)), 1000, 0.01);
  // 600 ms later only the first reservation has matured: 900 ms to go.
  EXPECT_NEAR(Ms(limiter.Reserve(t + milliseconds(600))), 900, 0.01);
  // An older timestamp (a racing caller) does not refill backwards.
  EXPECT_NEAR(Ms(limiter.Reserve(t)), 1400, 0.01);
}

TEST(RateLimiter, ZeroBurstStillAllowsOneAndZeroQpsIsUnlimited) {
  RateLimiter one(1, 0);
  auto t = RateLimiter::SteadyClock::now() + seconds(1);
  EXPECT_EQ(one.Reserve(t).count(), 0);
  EXPECT_NEAR(Ms(one.Reserve(t)), 1000, 0.01);
  RateLimiter unlimited(0, 1);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(unlimited.Reserve(t).count(), 0);
}

TEST(RateLimiter, WaitThrottlesConcurrentCallers) {
  RateLimiter limiter(100, 5);
  auto start = RateLimiter::SteadyClock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 5; ++j) limiter.Wait();
    });
  }
  for (auto& th : threads) th.join();
  // 20 tokens: 5 from the burst, 15 more at 100/s take >= 150 ms.
  auto took = RateLimiter::SteadyClock::now() - start;
  EXPECT_GE(took, milliseconds(140));
  EXPECT_LT(took, seconds(2));
}

}  // namespace
}  // namespace keyward
