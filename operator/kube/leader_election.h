// Leader election with a coordination.k8s.io/v1 Lease, in the manner of
// client-go: one replica writes, the others wait to take over. Thread-safe;
// IsLeader() turns false as soon as renewal misses the renew deadline.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
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
};

class LeaderElector {
 public:
  using SteadyClock = std::chrono::steady_clock;

  // |on_started| runs on the elector thread when leadership is gained,
  // |on_stopped| when it is lost (never both at once).
  LeaderElector(KubeClient& client, LeaseConfig config, std::function<void()> on_started,
                std::function<void()> on_stopped);
  ~LeaderElector();
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  void Start();
  // Stops, and releases the Lease if held so another replica takes over now.
  void Stop();
  bool IsLeader() const { return leader_.load(); }

  // One acquire-or-renew attempt at |now|; true if we hold the Lease after it.
  bool TryAcquireOrRenew(SteadyClock::time_point now);

 private:
  void Run();
  void Release();
  bool CreateLease(SteadyClock::time_point now, const std::string& now_text, int duration_s);
  bool SleepFor(std::chrono::milliseconds d);  // false when stopping

  KubeClient& client_;
  const LeaseConfig config_;
  const std::function<void()> on_started_, on_stopped_;
  ResourcePath path_;

  // What we last saw of the Lease, and when (local clock: immune to skew).
  std::string observed_holder_;
  std::string observed_renew_time_;
  SteadyClock::time_point observed_at_{};

  std::atomic<bool> leader_{false};
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread thread_;
};

// Kubernetes MicroTime: RFC 3339 with microseconds, UTC.
std::string FormatMicroTime(std::chrono::system_clock::time_point t);

}  // namespace keyward
