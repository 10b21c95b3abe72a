#include "kube/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "kube/controller_runner.h"

namespace keyward {
namespace {

using namespace std::chrono_literals;

TEST(Backoff, DoublesFromFiveMillisecondsToThousandSeconds) {
  BackoffPolicy b;  // the work queue's default
  EXPECT_EQ(b.Delay(0), 5ms);
  EXPECT_EQ(b.Delay(1), 10ms);
  EXPECT_EQ(b.Delay(10), 5120ms);
  EXPECT_EQ(b.Delay(18), 1000s);  // 5ms * 2^18 = 1310 s, capped
  EXPECT_EQ(b.Delay(1000), 1000s);
  EXPECT_EQ(b.Delay(-3), 5ms);
}

TEST(WorkQueue, DeduplicatesQueuedKeys) {
  WorkQueue q;
  q.Add("a");
  q.Add("a");
  q.Add("b");
  EXPECT_EQ(q.Len(), 2u);
  EXPECT_EQ(q.Get(), "a");
  EXPECT_EQ(q.Get(), "b");
}

TEST(WorkQueue, KeyAddedWhileProcessingIsRequeuedAfterDone) {
  WorkQueue q;
  q.Add("a");
  auto k = q.Get();
  q.Add("a");               // changed while a worker holds it
  EXPECT_EQ(q.Len(), 0u);   // not handed to a second worker
  q.Done(*k);
  EXPECT_EQ(q.Len(), 1u);
  EXPECT_EQ(q.Get(), "a");
}

TEST(WorkQueue, DelayedAddEarliestDeadlineWins) {
  WorkQueue q;
  auto start = std::chrono::steady_clock::now();
  q.AddAfter("a", 10s);
  q.AddAfter("a", 20ms);  // earlier: replaces
  q.AddAfter("a", 30s);   // later: ignored
  EXPECT_EQ(q.Get(), "a");
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, 20ms);
  EXPECT_LT(waited, 5s);
}

TEST(WorkQueue, DelayOfCenturiesWaitsInsteadOfOverflowing) {
  WorkQueue q;
  q.AddAfter("far", std::chrono::hours(24 * 365 * 236));  // steady_clock + this overflowed
  q.AddAfter("near", 20ms);
  EXPECT_EQ(q.Get(), "near");
  EXPECT_EQ(q.Len(), 0u);  // "far" is still waiting
}

TEST(WorkQueue, RateLimitedCountsFailuresUntilForget) {
  WorkQueue q;
  q.AddRateLimited("a");
  q.AddRateLimited("a");
  EXPECT_EQ(q.Failures("a"), 2);
  q.Forget("a");
  EXPECT_EQ(q.Failures("a"), 0);
}

TEST(WorkQueue, ShutDownWakesWaiters) {
  WorkQueue q;
  std::thread t([&] { EXPECT_FALSE(q.Get().has_value()); });
  std::this_thread::sleep_for(10ms);
  q.ShutDown();
  t.join();
}

TEST(ControllerRunner, NeverRunsOneKeyTwiceAtOnceAndRetriesFailures) {
  WorkQueue q(BackoffPolicy{1ms, 10ms});
  std::atomic<int> in_flight{0}, max_in_flight{0}, calls{0};
  std::atomic<int> failures_left{3};
  ControllerRunner runner(q, [&](const std::string&) {
    int now = ++in_flight;
    max_in_flight = std::max(max_in_flight.load(), now);
    std::this_thread::sleep_for(1ms);
    --in_flight;
    ++calls;
    return failures_left-- > 0 ? Action::Retry("injected") : Action::AwaitChange();
  }, 4);
  runner.Start();
  for (int i = 0; i < 50; ++i) q.Add("same");
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (calls < 4 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
  runner.Stop();
  EXPECT_EQ(max_in_flight.load(), 1);
  EXPECT_GE(calls.load(), 4);  // three failures retried, then success
}

}  // namespace
}  // namespace keyward
