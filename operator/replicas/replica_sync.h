// A replica's side of replication, every --peer-sync-interval: the leader
// only tells its hub who leads; a follower reports its usage to the leader
// named in the Lease and takes back the leader's counts and volatile keys'
// digests. docs/replicas.md.
#pragma once
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "base/periodic_task.h"
#include "keys/quota_book.h"
#include "keys/volatile_key_store.h"
#include "kube/leader_election.h"
#include "replicas/peer_hub.h"
#include "replicas/peer_transport.h"

namespace keyward {

struct ReplicaSyncEnv {
  std::string identity;
  std::string pepper_id;
  std::chrono::milliseconds interval{250};
  QuotaBook* quotas = nullptr;
  VolatileKeyStore* volatile_keys = nullptr;
  PeerTransport* transport = nullptr;
  PeerHub* hub = nullptr;  // this replica's own (told who leads)
  std::function<bool()> is_leader;
  std::function<LeaseHolder()> holder;
  // An ApiKey whose volatile key changed here: reconcile it (index it).
  std::function<void(const ApiKeyRef&)> volatile_changed;
  std::function<std::chrono::steady_clock::time_point()> clock = std::chrono::steady_clock::now;
};

class ReplicaSync {
 public:
  explicit ReplicaSync(ReplicaSyncEnv env);
  ~ReplicaSync();

  // One round; true when this replica is the leader or synced with it.
  bool SyncOnce();
  void Start();
  void Stop();

  // Why volatile keys may be missing here (a check of an unknown key says
  // it); nullopt when this replica leads or synced within three intervals.
  std::optional<std::string> VolatileGap() const;

  struct Health {
    bool leader = false;
    std::string leader_identity, leader_address;
    std::chrono::steady_clock::time_point last_ok{};
    std::string last_error;
    std::int64_t syncs = 0, failures = 0;
  };
  Health health() const;

 private:
  bool Follow();
  bool Fail(const std::string& why);

  ReplicaSyncEnv env_;
  const std::string instance_;
  std::string epoch_;
  std::uint64_t usage_since_ = 0, volatile_version_ = 0;
  mutable std::mutex mu_;
  Health health_;
  PeriodicTask task_;
};

}  // namespace keyward
