#include "kube/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
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

TEST(WorkQueue, ListedKeysWaitBehindChangesAndAChangeMovesOneForward) {
  WorkQueue q;
  for (const char* k : {"old-1", "old-2", "old-3"}) q.AddLowPriority(k);
  q.Add("new");
  q.Add("old-3");  // changed while waiting: now in the front lane, once
  q.AddLowPriority("new");  // already queued: stays where it is
  EXPECT_EQ(q.Len(), 4u);
  EXPECT_EQ(q.Get(), "new");
  EXPECT_EQ(q.Get(), "old-3");
  EXPECT_EQ(q.Get(), "old-1");
  q.Add("newer");
  EXPECT_EQ(q.Get(), "newer");
  EXPECT_EQ(q.Get(), "old-2");
  EXPECT_EQ(q.Len(), 0u);
  // A low-priority add while processing is re-queued by Done, not lost.
  q.AddLowPriority("old-2");
  q.Done("old-2");
  EXPECT_EQ(q.Len(), 1u);
  EXPECT_EQ(q.Get(), "old-2");
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

TEST(WorkQueue, ManyDelayedKeysComeOutOnceEachInDeadlineOrder) {
  WorkQueue q;
  // Names longer than a short string's inline room: the queue keeps one copy.
  auto name = [](int i) { return "a-long-namespace/key-" + std::to_string(i); };
  for (int i = 0; i < 200; ++i) q.AddAfter(name(i), 10s + std::chrono::milliseconds(i));
  for (int i = 0; i < 200; i += 2) q.AddAfter(name(i), std::chrono::milliseconds(30 + i / 2));
  for (int i = 0; i < 200; i += 4) q.AddAfter(name(i), 1h);  // later: ignored
  for (int i = 0; i < 200; i += 2) {
    auto k = q.Get();
    ASSERT_TRUE(k);
    EXPECT_EQ(*k, name(i));  // earliest first, each once
    q.Done(*k);
  }
  EXPECT_EQ(q.Len(), 0u);  // the odd keys still wait their 10 s
}

TEST(WorkQueue, AnEarlierDeadlineWakesASleepingWorker) {
  WorkQueue q;
  q.AddAfter("late", 1h);
  auto start = std::chrono::steady_clock::now();
  std::future<std::optional<std::string>> got =
      std::async(std::launch::async, [&] { return q.Get(); });
  std::this_thread::sleep_for(20ms);  // the worker sleeps until "late"
  q.AddAfter("later", 2h);            // no new earliest: it sleeps on
  q.AddAfter("soon", 10ms);
  EXPECT_EQ(got.get(), "soon");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
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
  std::promise<void> waiting;
  std::future<std::optional<std::string>> got = std::async(std::launch::async, [&] {
    waiting.set_value();
    return q.Get();  // blocks: the queue is empty
  });
  waiting.get_future().wait();
  // Whether Get() is already blocked or about to be, ShutDown must end it.
  q.ShutDown();
  ASSERT_EQ(got.wait_for(10s), std::future_status::ready);
  EXPECT_FALSE(got.get().has_value());
}

TEST(ControllerRunner, NeverRunsOneKeyTwiceAtOnceAndRetriesFailures) {
  WorkQueue q(BackoffPolicy{1ms, 10ms});
  std::atomic<int> in_flight{0}, max_in_flight{0}, calls{0};
  std::atomic<int> failures_left{3};
  ControllerRunner runner(q, [&](const std::string&) {
    int now = ++in_flight;
    // An atomic max: a plain load-then-store could lose a 2 written by
    // another worker at the same moment.
    for (int seen = max_in_flight.load(); now > seen && !max_in_flight.compare_exchange_weak(seen, now);) {
    }
    std::this_thread::sleep_for(1ms);  // widens the window two workers would share
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
