#include "kube/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <future>
#include <list>
#include <map>
#include <random>
#include <set>
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

// The queue against a plain model of its lanes, over random adds, takes
// and Dones of a few keys (so every key moves between lanes many times).
TEST(WorkQueue, LanesMatchAPlainModelOverRandomOperations) {
  struct Model {
    std::map<std::string, bool> dirty;  // key -> waits in the low lane
    std::deque<std::string> front;
    std::list<std::string> low;
    std::set<std::string> processing;
    void Add(const std::string& k) {
      auto it = dirty.find(k);
      if (it != dirty.end()) {
        if (it->second) {
          it->second = false;
          low.remove(k);
          front.push_back(k);
        }
        return;
      }
      dirty[k] = false;
      if (!processing.count(k)) front.push_back(k);
    }
    void AddLow(const std::string& k) {
      if (dirty.count(k)) return;
      dirty[k] = !processing.count(k);
      if (dirty[k]) low.push_back(k);
    }
    std::string Get() {
      if (front.empty()) {
        dirty[low.front()] = false;
        front.push_back(low.front());
        low.pop_front();
      }
      std::string k = front.front();
      front.pop_front();
      processing.insert(k);
      dirty.erase(k);
      return k;
    }
    void Done(const std::string& k) {
      processing.erase(k);
      if (dirty.count(k)) front.push_back(k);
    }
  };
  WorkQueue q;
  Model m;
  std::mt19937 rng(15);
  for (int step = 0; step < 20000; ++step) {
    const std::string key = "ns/key-" + std::to_string(rng() % 12);
    switch (rng() % 4) {
      case 0: q.Add(key); m.Add(key); break;
      case 1: q.AddLowPriority(key); m.AddLow(key); break;
      case 2:
        if (q.Len() > 0) {
          ASSERT_EQ(q.Get(), m.Get()) << "step " << step;
        }
        break;
      case 3:
        if (!m.processing.empty()) {
          auto it = m.processing.begin();
          std::advance(it, rng() % m.processing.size());
          const std::string done = *it;
          q.Done(done);
          m.Done(done);
        }
        break;
    }
    ASSERT_EQ(q.Len(), m.front.size() + m.low.size()) << "step " << step;
  }
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

TEST(WorkQueue, ADroppedKeyLeavesNoDeadlineAndNoFailuresBehind) {
  WorkQueue q;
  q.AddAfter("ns/gone", std::chrono::hours(1));  // an expiry wake-up
  q.AddAfter("ns/kept", std::chrono::hours(1));
  q.AddRateLimited("ns/gone");                   // and a failed reconcile's retry
  EXPECT_EQ(q.Delayed(), 2u);
  q.Drop("ns/gone");
  EXPECT_EQ(q.Delayed(), 1u);
  EXPECT_EQ(q.Failures("ns/gone"), 0);
  q.Drop("ns/never-queued");  // no-op
  q.Add("ns/marker");
  EXPECT_EQ(q.Get(), "ns/marker");
  q.Done("ns/marker");
  EXPECT_EQ(q.Len(), 0u);
  EXPECT_EQ(q.Delayed(), 1u);
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

// issue 28, item 10: after ShutDown no queued key is handed out (high or
// low lane); a key in flight can still be marked Done.
TEST(WorkQueue, ShutDownHandsOutNothingMore) {
  WorkQueue q;
  q.Add("held");
  ASSERT_EQ(q.Get(), "held");
  q.Add("queued");
  q.AddLowPriority("resync");
  q.ShutDown();
  EXPECT_FALSE(q.Get().has_value());
  EXPECT_EQ(q.Len(), 1u);  // the high lane's key stays queued, the low lane is dropped
  q.Done("held");
  EXPECT_FALSE(q.Get().has_value());
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
