// The leader's side of replication: answers followers' syncs on the peer
// port (mutual TLS), absorbing their usage counts exactly once and handing
// out its counts and the volatile keys' digests. docs/replicas.md.
#pragma once
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

#include "keys/key_hash.h"
#include "keys/quota_book.h"
#include "keys/volatile_key_store.h"
#include "server/http_message.h"

namespace keyward {

class PeerHub {
 public:
  // |pepper_id| names the digests sent; |identity| is this replica's name.
  PeerHub(QuotaBook& quotas, const VolatileKeyStore& volatile_keys, std::string pepper_id,
          std::string identity, std::function<bool()> is_leader);

  // POST /v1/peer/sync. 200 with the answer; 409 when the follower's epoch
  // is not this leader's (it starts over with the epoch given, nothing of
  // its request absorbed); 503 when this replica is not the leader; 400 on
  // a malformed body.
  HttpResponse Handle(const HttpRequest& request);

  // Leadership changed (called on every tick): a new leader starts a new
  // epoch, so counts reported to an earlier leader are never absorbed twice.
  void ObserveLeadership(bool leader);

  // Followers that synced within |within|, by identity (for metrics).
  std::size_t FollowersWithin(std::chrono::steady_clock::duration within) const;
  std::string epoch() const;

 private:
  struct Follower {
    std::string identity;
    std::chrono::steady_clock::time_point seen;
    std::unordered_map<std::string, SharedCounts> reported;  // cumulative per key, this epoch
  };

  QuotaBook& quotas_;
  const VolatileKeyStore& volatile_keys_;
  const std::string pepper_id_, identity_;
  const std::function<bool()> is_leader_;
  mutable std::mutex mu_;
  bool leading_ = false;
  std::string epoch_;
  std::unordered_map<std::string, Follower> followers_;  // by instance
};

// A random 16-hex-digit id (instances, epochs).
std::string RandomId();

}  // namespace keyward
