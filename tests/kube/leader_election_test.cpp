#include "kube/leader_election.h"

#include <gtest/gtest.h>

#include "kube/fake_kube_client.h"

namespace keyward {
namespace {

using namespace std::chrono_literals;
using SteadyClock = LeaderElector::SteadyClock;

LeaseConfig Config(const std::string& identity) {
  LeaseConfig c;
  c.namespace_name = "keyward-system";
  c.identity = identity;
  c.lease_duration = 15s;
  c.renew_deadline = 10s;
  c.retry_period = 2s;
  return c;
}

const ResourcePath kLease{"coordination.k8s.io/v1", "leases", "keyward-system", "keyward-leader", ""};

// A steady clock the test moves by hand.
struct FakeClock {
  SteadyClock::time_point now = SteadyClock::time_point(std::chrono::hours(1000));
  LeaderElector::ClockFn Fn() {
    return [this] { return now; };
  }
};

TEST(LeaderElection, FirstCandidateCreatesTheLease) {
  FakeKubeClient kube;
  LeaderElector a(kube, Config("a"), nullptr, nullptr);
  EXPECT_TRUE(a.TryAcquireOrRenew(SteadyClock::now()));
  auto lease = kube.Object(kLease);
  EXPECT_EQ(lease.at("spec").at("holderIdentity").as_string(), "a");
  EXPECT_EQ(lease.at("spec").at("leaseDurationSeconds").as_integer(), 15);
}

TEST(LeaderElection, TheHolderNamesItsPeerAddressInTheLease) {
  FakeKubeClient kube;
  FakeClock clock;
  LeaseConfig ca = Config("a"), cb = Config("b");
  ca.peer_address = "10.0.0.1:8444";
  cb.peer_address = "10.0.0.2:8444";
  LeaderElector a(kube, ca, nullptr, nullptr, clock.Fn());
  LeaderElector b(kube, cb, nullptr, nullptr, clock.Fn());
  const auto t0 = clock.now;
  ASSERT_TRUE(a.TryAcquireOrRenew(clock.now));
  EXPECT_EQ(kube.Object(kLease).at("metadata").at("annotations").at(kPeerAddressAnnotation).as_string(),
            "10.0.0.1:8444");
  EXPECT_FALSE(b.TryAcquireOrRenew(clock.now = t0 + 1s));
  EXPECT_EQ(b.Holder().identity, "a");
  EXPECT_EQ(b.Holder().peer_address, "10.0.0.1:8444");
  // a is gone; b takes over and the Lease names b's address.
  ASSERT_TRUE(b.TryAcquireOrRenew(clock.now = t0 + 17s));
  EXPECT_EQ(kube.Object(kLease).at("metadata").at("annotations").at(kPeerAddressAnnotation).as_string(),
            "10.0.0.2:8444");
  EXPECT_EQ(b.Holder().peer_address, "10.0.0.2:8444");
}

TEST(LeaderElection, OtherCandidateWaitsForTheLeaseToLapse) {
  FakeKubeClient kube;
  FakeClock clock;
  LeaderElector a(kube, Config("a"), nullptr, nullptr, clock.Fn());
  LeaderElector b(kube, Config("b"), nullptr, nullptr, clock.Fn());
  const auto t0 = clock.now;
  auto at = [&](std::chrono::seconds d) { return clock.now = t0 + d; };
  ASSERT_TRUE(a.TryAcquireOrRenew(at(0s)));
  EXPECT_FALSE(b.TryAcquireOrRenew(at(1s)));
  // a renews: b's observation restarts.
  ASSERT_TRUE(a.TryAcquireOrRenew(at(5s)));
  EXPECT_FALSE(b.TryAcquireOrRenew(at(6s)));
  EXPECT_FALSE(b.TryAcquireOrRenew(at(20s)));  // 14 s after b saw the renewal
  // a died: no renewal seen for a whole lease duration.
  EXPECT_TRUE(b.TryAcquireOrRenew(at(22s)));
  auto lease = kube.Object(kLease);
  EXPECT_EQ(lease.at("spec").at("holderIdentity").as_string(), "b");
  EXPECT_EQ(lease.at("spec").at("leaseTransitions").as_integer(), 1);
  // The old leader cannot renew any more, and stopped long before.
  EXPECT_FALSE(a.TryAcquireOrRenew(at(23s)));
  EXPECT_FALSE(a.IsLeader());
}

TEST(LeaderElection, ConflictingTakeoverLoses) {
  FakeKubeClient kube;
  LeaderElector a(kube, Config("a"), nullptr, nullptr);
  ASSERT_TRUE(a.TryAcquireOrRenew(SteadyClock::now()));
  kube.FailNext("update", {409, "Conflict", "modified"});
  EXPECT_FALSE(a.TryAcquireOrRenew(SteadyClock::now()));
  kube.FailNext("get", {0, "Transport", "connection refused"});
  EXPECT_FALSE(a.TryAcquireOrRenew(SteadyClock::now()));
}

TEST(LeaderElection, StopReleasesTheLease) {
  FakeKubeClient kube;
  LeaseConfig cfg = Config("a");
  cfg.retry_period = 10ms;
  std::atomic<int> started{0}, stopped{0};
  LeaderElector a(kube, cfg, [&] { ++started; }, [&] { ++stopped; });
  a.Start();
  auto deadline = SteadyClock::now() + 10s;
  while (!a.IsLeader() && SteadyClock::now() < deadline) std::this_thread::sleep_for(1ms);
  EXPECT_TRUE(a.IsLeader());
  a.Stop();
  EXPECT_FALSE(a.IsLeader());
  EXPECT_EQ(started.load(), 1);
  EXPECT_EQ(stopped.load(), 1);
  EXPECT_EQ(kube.Object(kLease).at("spec").at("holderIdentity").as_string(), "");
  // A released lease is taken at once by the next candidate.
  LeaderElector b(kube, Config("b"), nullptr, nullptr);
  EXPECT_TRUE(b.TryAcquireOrRenew(SteadyClock::now()));
}

TEST(LeaderElection, LeadershipEndsByTheClockWhileARenewHangs) {
  FakeKubeClient kube;
  FakeClock clock;
  LeaderElector a(kube, Config("a"), nullptr, nullptr, clock.Fn());
  ASSERT_TRUE(a.TryAcquireOrRenew(clock.now));
  const auto acquired = clock.now;
  clock.now += 3s;
  EXPECT_TRUE(a.IsLeader());
  // The next renew hangs for 30 s inside the GET (a stalled connection).
  // Before: IsLeader() stayed true for the whole call.
  std::vector<bool> leader_during_call;
  kube.before_call = [&](const std::string&) {
    for (int i = 0; i < 30; ++i) {
      clock.now += 1s;
      leader_during_call.push_back(a.IsLeader());
    }
  };
  a.TryAcquireOrRenew(clock.now);
  kube.before_call = nullptr;
  // Leader exactly until renew_deadline (10 s) after the last renew was sent.
  for (int i = 0; i < 30; ++i) {
    const auto t = acquired + 3s + std::chrono::seconds(i + 1);
    EXPECT_EQ(leader_during_call[i], t < acquired + 10s) << "at +" << (t - acquired).count();
  }
}

// e2e/test_leadership.py caught it: SIGSTOP landed between a renew's GET
// and its Update; resumed past the renew deadline, the Update went out
// (refused by resourceVersion, but a write after the lease was lost).
TEST(LeaderElection, ARenewThatOutlivedLeadershipIsNotSent) {
  FakeKubeClient kube;
  FakeClock clock;
  LeaderElector a(kube, Config("a"), nullptr, nullptr, clock.Fn());
  ASSERT_TRUE(a.TryAcquireOrRenew(clock.now));
  const int updates = kube.CountCalls("update");
  kube.before_call = [&](const std::string& verb) {
    if (verb == "get") clock.now += 11s;  // stalled past the 10 s renew deadline
  };
  EXPECT_FALSE(a.TryAcquireOrRenew(clock.now));
  kube.before_call = nullptr;
  EXPECT_EQ(kube.CountCalls("update"), updates);
  EXPECT_FALSE(a.IsLeader());
  // As a candidate it may take its own lapsed Lease again.
  EXPECT_TRUE(a.TryAcquireOrRenew(clock.now));
}

TEST(LeaderElection, FailedRenewsEndLeadershipAtTheDeadlineNotLater) {
  FakeKubeClient kube;
  FakeClock clock;
  LeaderElector a(kube, Config("a"), nullptr, nullptr, clock.Fn());
  ASSERT_TRUE(a.TryAcquireOrRenew(clock.now));
  const auto renewed = clock.now;
  for (int i = 1; i <= 6; ++i) {
    clock.now = renewed + std::chrono::seconds(2 * i);
    kube.FailNext("get", {0, "Transport", "connection refused"});
    EXPECT_FALSE(a.TryAcquireOrRenew(clock.now));
    EXPECT_EQ(a.IsLeader(), clock.now < renewed + 10s) << i;
  }
  // Another candidate could take the Lease only 15 s after it last saw a
  // renewal, by which time this replica stopped 5 s ago.
  EXPECT_FALSE(a.IsLeader());
}

TEST(LeaderElection, ALeaderThatSeesAnotherHolderStepsDownAtOnce) {
  FakeKubeClient kube;
  FakeClock clock;
  LeaderElector a(kube, Config("a"), nullptr, nullptr, clock.Fn());
  ASSERT_TRUE(a.TryAcquireOrRenew(clock.now));
  // Someone else holds the Lease now (an operator with a skewed view, or an
  // administrator's edit). Before: a kept acting until its deadline.
  web::json::value lease = kube.Object(kLease);
  lease["spec"]["holderIdentity"] = web::json::value::string("b");
  lease["spec"]["renewTime"] = web::json::value::string(FormatMicroTime(std::chrono::system_clock::now()));
  kube.Put(kLease, lease);
  clock.now += 2s;
  EXPECT_TRUE(a.IsLeader());
  EXPECT_FALSE(a.TryAcquireOrRenew(clock.now));
  EXPECT_FALSE(a.IsLeader());
  EXPECT_EQ(kube.Object(kLease).at("spec").at("holderIdentity").as_string(), "b");
}

TEST(LeaderElection, ACandidateDatesWhatItSawByTheAnswerNotTheQuestion) {
  FakeKubeClient kube;
  FakeClock clock;
  LeaderElector a(kube, Config("a"), nullptr, nullptr, clock.Fn());
  LeaderElector b(kube, Config("b"), nullptr, nullptr, clock.Fn());
  ASSERT_TRUE(a.TryAcquireOrRenew(clock.now));
  const auto renewed = clock.now;
  // b's GET takes 10 s to come back: b saw a's renewal at renewed + 10 s.
  kube.before_call = [&](const std::string& verb) {
    if (verb == "get") clock.now += 10s;
  };
  EXPECT_FALSE(b.TryAcquireOrRenew(clock.now));
  kube.before_call = nullptr;
  // Dated by the question (renewed), b would take the Lease at +15 s while
  // a (never stalled, just slow to be seen) is within its own deadline
  // horizon; dated by the answer it waits until +25 s.
  clock.now = renewed + 16s;
  EXPECT_FALSE(b.TryAcquireOrRenew(clock.now));
  clock.now = renewed + 26s;
  EXPECT_TRUE(b.TryAcquireOrRenew(clock.now));
}

TEST(MicroTime, HasMicroseconds) {
  auto t = *ParseRfc3339("2027-01-01T00:00:00.123456Z");
  EXPECT_EQ(FormatMicroTime(t), "2027-01-01T00:00:00.123456Z");
}

}  // namespace
}  // namespace keyward
