#include "base/backoff.h"

#include <gtest/gtest.h>

namespace keyward {
namespace {

using namespace std::chrono_literals;

TEST(BackoffPolicy, DoublesFromMinAndCaps) {
  BackoffPolicy p{5ms, 1000ms, 0};
  const std::pair<int, std::chrono::milliseconds> table[] = {
      {0, 5ms}, {1, 10ms}, {2, 20ms}, {7, 640ms}, {8, 1000ms}, {64, 1000ms}, {1 << 30, 1000ms}};
  for (const auto& [failures, want] : table) EXPECT_EQ(p.Delay(failures), want) << failures;
}

TEST(BackoffPolicy, ZeroMinStillGrows) {
  EXPECT_EQ((BackoffPolicy{0ms, 8ms, 0}).Delay(0), 0ms);
  EXPECT_EQ((BackoffPolicy{0ms, 8ms, 0}).Delay(10), 8ms);
}

TEST(Backoff, NextCountsAndJitterStaysInBounds) {
  Backoff b(BackoffPolicy{100ms, 10s, 0.2});
  for (int i = 0; i < 5; ++i) {
    auto base = BackoffPolicy{100ms, 10s, 0}.Delay(i);
    auto d = b.Next();
    EXPECT_GE(d.count(), base.count() * 8 / 10) << i;
    EXPECT_LE(d.count(), base.count() * 12 / 10) << i;
  }
  EXPECT_EQ(b.failures(), 5);
  b.Reset();
  EXPECT_EQ(b.failures(), 0);
}

}  // namespace
}  // namespace keyward
