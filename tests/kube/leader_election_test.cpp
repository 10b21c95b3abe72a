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

TEST(LeaderElection, FirstCandidateCreatesTheLease) {
  FakeKubeClient kube;
  LeaderElector a(kube, Config("a"), nullptr, nullptr);
  EXPECT_TRUE(a.TryAcquireOrRenew(SteadyClock::now()));
  auto lease = kube.Object(kLease);
  EXPECT_EQ(lease.at("spec").at("holderIdentity").as_string(), "a");
  EXPECT_EQ(lease.at("spec").at("leaseDurationSeconds").as_integer(), 15);
}

TEST(LeaderElection, OtherCandidateWaitsForTheLeaseToLapse) {
  FakeKubeClient kube;
  LeaderElector a(kube, Config("a"), nullptr, nullptr);
  LeaderElector b(kube, Config("b"), nullptr, nullptr);
  auto t0 = SteadyClock::now();
  ASSERT_TRUE(a.TryAcquireOrRenew(t0));
  EXPECT_FALSE(b.TryAcquireOrRenew(t0 + 1s));
  // a renews: b's observation restarts.
  ASSERT_TRUE(a.TryAcquireOrRenew(t0 + 5s));
  EXPECT_FALSE(b.TryAcquireOrRenew(t0 + 6s));
  EXPECT_FALSE(b.TryAcquireOrRenew(t0 + 20s));  // 14 s after b saw the renewal
  // a died: no renewal seen for a whole lease duration.
  EXPECT_TRUE(b.TryAcquireOrRenew(t0 + 22s));
  auto lease = kube.Object(kLease);
  EXPECT_EQ(lease.at("spec").at("holderIdentity").as_string(), "b");
  EXPECT_EQ(lease.at("spec").at("leaseTransitions").as_integer(), 1);
  // The old leader cannot renew any more.
  EXPECT_FALSE(a.TryAcquireOrRenew(t0 + 23s));
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

TEST(MicroTime, HasMicroseconds) {
  auto t = *ParseRfc3339("2027-01-01T00:00:00.123456Z");
  EXPECT_EQ(FormatMicroTime(t), "2027-01-01T00:00:00.123456Z");
}

}  // namespace
}  // namespace keyward
