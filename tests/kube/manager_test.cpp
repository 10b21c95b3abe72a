// The Manager's shutdown order: work stops and in-flight reconciles finish
// before the Lease is released (faults issue, item 3).
#include "kube/manager.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>

#include "kube/fake_kube_client.h"

namespace keyward {
namespace {

using namespace std::chrono_literals;
using web::json::value;

const ResourcePath kLease{"coordination.k8s.io/v1", "leases", "keyward-system", "keyward-leader", ""};

std::string Holder(FakeKubeClient& kube) {
  value lease = kube.Object(kLease);
  return lease.is_null() ? "" : lease.at("spec").at("holderIdentity").as_string();
}

// A one-shot gate a reconcile waits on.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false, entered = false;
  void Enter() {
    std::unique_lock lock(mu);
    entered = true;
    cv.notify_all();
    cv.wait(lock, [this] { return open; });
  }
  bool WaitEntered(std::chrono::milliseconds d) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, d, [this] { return entered; });
  }
  void Open() {
    std::lock_guard lock(mu);
    open = true;
    cv.notify_all();
  }
};

TEST(Manager, StopReleasesTheLeaseOnlyAfterInFlightReconcilesFinish) {
  FakeKubeClient kube, lease_kube;
  value obj;
  obj["metadata"]["name"] = value::string("k");
  obj["metadata"]["namespace"] = value::string("team-a");
  kube.Put({"keyward.io/v1alpha1", "apikeys", "team-a", "k", ""}, obj);
  ManagerConfig config{"keyward.io/v1alpha1", "apikeys", {}, 1, std::nullopt};
  config.lease = LeaseConfig{"keyward-system", "keyward-leader", "me", 15s, 10s, 10ms, ""};
  config.lease_client = &lease_kube;
  Manager manager(kube, config);
  Gate gate;
  std::string holder_at_end;
  manager.Start({[&](const std::string&) {
                   if (!manager.IsLeader()) return Action::AwaitChange();
                   gate.Enter();  // a rotation halfway: Secret written, status not yet
                   holder_at_end = Holder(lease_kube);
                   return Action::AwaitChange();
                 },
                 nullptr, nullptr, nullptr, nullptr, nullptr});
  ASSERT_TRUE(gate.WaitEntered(10s)) << "no reconcile as leader";
  EXPECT_EQ(kube.CountCalls("update") + kube.CountCalls("create"), 0);  // renews use their own client
  auto stopped = std::async(std::launch::async, [&] { manager.Stop(); });
  // SIGTERM arrived mid-reconcile. Before: the Lease was released here and
  // a successor started while this reconcile still wrote.
  EXPECT_EQ(stopped.wait_for(200ms), std::future_status::timeout);
  EXPECT_EQ(Holder(lease_kube), "me");
  gate.Open();
  stopped.get();
  EXPECT_EQ(holder_at_end, "me");
  EXPECT_EQ(Holder(lease_kube), "");  // released after the reconcile ended
}

TEST(Manager, OnSyncedSeesTheFirstListAndRunsBeforeReadyAndTheWorkers) {
  FakeKubeClient kube;
  for (const char* name : {"a", "b"}) {
    value obj;
    obj["metadata"]["name"] = value::string(name);
    obj["metadata"]["namespace"] = value::string("team-a");
    kube.Put({"keyward.io/v1alpha1", "apikeys", "team-a", name, ""}, obj);
  }
  Manager manager(kube, ManagerConfig{"keyward.io/v1alpha1", "apikeys", {}, 1, std::nullopt});
  std::atomic<int> reconciles{0};
  std::promise<void> synced;
  std::size_t listed = 0;
  bool ready_during = true;
  int reconciles_during = -1;
  std::atomic<int> seen_in_list{0};
  int seen_before_sync = -1;
  manager.Start({[&](const std::string&) {
                   ++reconciles;
                   return Action::AwaitChange();
                 },
                 nullptr, nullptr,
                 [&] {
                   listed = manager.List().size();
                   seen_before_sync = seen_in_list.load();
                   ready_during = manager.Ready();
                   reconciles_during = reconciles.load();
                   synced.set_value();
                 },
                 nullptr,
                 [&](const value& object) {
                   EXPECT_FALSE(ObjectKey(object).empty());
                   ++seen_in_list;
                 }});
  ASSERT_EQ(synced.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_EQ(listed, 2u);
  EXPECT_EQ(seen_before_sync, 2);  // each object of the list, before on_synced
  EXPECT_FALSE(ready_during);
  EXPECT_EQ(reconciles_during, 0);
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!manager.Ready() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  EXPECT_TRUE(manager.Ready());
  manager.Stop();
}

}  // namespace
}  // namespace keyward
