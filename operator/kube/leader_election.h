// Leader election with a coordination.k8s.io/v1 Lease, in the manner of
// client-go: one replica writes, the others wait to take over. Thread-safe.
// Leadership ends here before it can be taken elsewhere: IsLeader() is true
// only until renew_deadline after the last successful renew was sent, by the
// clock alone, even while a renew call hangs.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <limits>
#include <mutex>
#include <string>
#include <thread>

#include "kube/kube_client.h"
#include "base/time_format.h"

namespace keyward {

struct LeaseConfig {
  std::string namespace_name;
  std::string name = "keyward-leader";
  std::string identity;
  std::chrono::milliseconds lease_duration{15000};
  std::chrono::milliseconds renew_deadline{10000};
  std::chrono::milliseconds retry_period{2000};
  // Where other replicas reach this one (host:port), written by the holder
  // into the Lease's annotation keyward.io/peer-address; empty: none.
  std::string peer_address;
};

inline constexpr char kPeerAddressAnnotation[] = "keyward.io/peer-address";

// The Lease's holder as this replica last read it.
struct LeaseHolder {
  std::string identity;
  std::string peer_address;  // its keyward.io/peer-address annotation
};

class LeaderElector {
 public:
  using SteadyClock = std::chrono::steady_clock;

  using ClockFn = std::function<SteadyClock::time_point()>;

  // |client| should be the elector's own (its own rate limit and
  // connections, a timeout of about renew_deadline). |on_started| runs on
  // the elector thread when leadership is gained, |on_stopped| when it is
  // lost (never both at once). |clock| is for tests.
  LeaderElector(KubeClient& client, LeaseConfig config, std::function<void()> on_started,
                std::function<void()> on_stopped, ClockFn clock = SteadyClock::now);
  ~LeaderElector();
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  void Start();
  // Stops, and releases the Lease if held so another replica takes over now.
  void Stop();
  bool IsLeader() const { return clock_().time_since_epoch().count() < leader_until_.load(); }

  // One acquire-or-renew attempt, |now| being the moment it starts (before
  // the GET); true if we hold the Lease after it, and then leader until
  // now + renew_deadline. Seeing another holder ends leadership at once.
  bool TryAcquireOrRenew(SteadyClock::time_point now);

  // The holder last read (every retry period on a follower).
  LeaseHolder Holder() const;

 private:
  void Run();
  void Release();
  bool CreateLease(SteadyClock::time_point now, const std::string& now_text, int duration_s);
  void Renewed(SteadyClock::time_point sent, const std::string& now_text);
  void StepDown() { leader_until_ = kNotLeader; }
  bool SleepFor(std::chrono::milliseconds d);  // false when stopping

  KubeClient& client_;
  const LeaseConfig config_;
  const std::function<void()> on_started_, on_stopped_;
  const ClockFn clock_;
  ResourcePath path_;

  // What we last saw of the Lease, and when (local clock: immune to skew).
  std::string observed_holder_;
  std::string observed_renew_time_;
  SteadyClock::time_point observed_at_{};
  void Observe(const std::string& identity, const std::string& address);
  mutable std::mutex holder_mu_;
  LeaseHolder holder_;

  // Steady-clock ticks until which this replica may act as leader.
  static constexpr SteadyClock::rep kNotLeader = std::numeric_limits<SteadyClock::rep>::min();
  std::atomic<SteadyClock::rep> leader_until_{kNotLeader};
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread thread_;
};


}  // namespace keyward
