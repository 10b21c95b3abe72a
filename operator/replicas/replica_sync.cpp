#include "replicas/replica_sync.h"

#include <spdlog/spdlog.h>

#include "replicas/peer_messages.h"

namespace keyward {

ReplicaSync::ReplicaSync(ReplicaSyncEnv env) : env_(std::move(env)), instance_(RandomId()) {}

ReplicaSync::~ReplicaSync() { Stop(); }

void ReplicaSync::Start() {
  task_.Start(env_.interval, [this] { SyncOnce(); });
}

void ReplicaSync::Stop() { task_.Stop(); }

ReplicaSync::Health ReplicaSync::health() const {
  std::lock_guard lock(mu_);
  return health_;
}

bool ReplicaSync::SyncOnce() {
  const bool leader = env_.is_leader();
  if (env_.hub) env_.hub->ObserveLeadership(leader);
  env_.quotas->SetReporting(!leader);
  if (leader) {
    std::lock_guard lock(mu_);
    health_.leader = true;
    health_.last_ok = env_.clock();
    health_.last_error.clear();
    epoch_.clear();  // as a follower again, it starts with a handshake
    return true;
  }
  {
    std::lock_guard lock(mu_);
    health_.leader = false;
  }
  return Follow();
}

bool ReplicaSync::Fail(const std::string& why) {
  std::lock_guard lock(mu_);
  if (health_.last_error != why) spdlog::warn("replicas: {}", why);
  health_.last_error = why;
  ++health_.failures;
  return false;
}

bool ReplicaSync::Follow() {
  const LeaseHolder holder = env_.holder();
  {
    std::lock_guard lock(mu_);
    health_.leader_identity = holder.identity;
    health_.leader_address = holder.peer_address;
  }
  if (holder.identity.empty()) return Fail("no leader holds the Lease");
  if (holder.peer_address.empty()) {
    return Fail("the leader " + holder.identity + " names no peer address in its Lease (--peer-port off there?)");
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    SyncRequest req;
    req.instance = instance_;
    req.identity = env_.identity;
    req.epoch = epoch_;
    req.usage_since = usage_since_;
    req.volatile_version = volatile_version_;
    req.usage = env_.quotas->PrepareReport();
    PeerReply reply = env_.transport->Post(holder.peer_address, kPeerSyncPath, EncodeSyncRequest(req));
    const std::string leader = "the leader " + holder.identity + " at " + holder.peer_address;
    if (reply.code == 0) return Fail("cannot reach " + leader + ": " + reply.error);
    Result<SyncResponse> answer = reply.code == 200 || reply.code == 409
                                      ? DecodeSyncResponse(reply.body, env_.pepper_id)
                                      : Result<SyncResponse>(Status::Error(reply.body));
    if (!answer.ok()) return Fail(leader + " answered " + std::to_string(reply.code) + ": " + answer.error());
    if (reply.code == 409) {
      // A new epoch: nothing reported to an earlier leader counts here.
      epoch_ = answer->epoch;
      usage_since_ = volatile_version_ = 0;
      env_.quotas->StartEpoch();
      continue;
    }
    env_.quotas->Acknowledge(req.usage);
    for (const QuotaBook::Report& r : answer->usage) env_.quotas->ApplyLeaderCounts(r.ref, r.counts);
    usage_since_ = answer->usage_version;
    if (answer->volatile_included) {
      for (const ApiKeyRef& ref : env_.volatile_keys->AdoptAll(answer->volatile_keys)) {
        spdlog::debug("replicas: volatile key of {} learned from {}", ref.String(), holder.identity);
        if (env_.volatile_changed) env_.volatile_changed(ref);
      }
      volatile_version_ = answer->volatile_version;
    }
    std::lock_guard lock(mu_);
    if (!health_.last_error.empty()) spdlog::info("replicas: synced with {} again", leader);
    health_.last_error.clear();
    health_.last_ok = env_.clock();
    ++health_.syncs;
    return true;
  }
  return Fail("the leader " + holder.identity + " changed its epoch twice in one sync");
}

std::optional<std::string> ReplicaSync::VolatileGap() const {
  if (env_.is_leader()) return std::nullopt;  // it holds every key
  std::lock_guard lock(mu_);
  const auto stale = std::max<std::chrono::steady_clock::duration>(3 * env_.interval, std::chrono::seconds(1));
  const auto now = env_.clock();
  if (health_.last_ok != std::chrono::steady_clock::time_point{} && now - health_.last_ok <= stale) {
    return std::nullopt;
  }
  std::string why = health_.last_error.empty() ? "no sync yet" : health_.last_error;
  if (health_.last_ok == std::chrono::steady_clock::time_point{}) {
    return "this replica has not synced with the leader yet (" + why +
           "), so it does not know volatile keys";
  }
  const auto ago = std::chrono::duration_cast<std::chrono::seconds>(now - health_.last_ok).count();
  return "this replica last synced with the leader " + std::to_string(ago) + " s ago (" + why +
         "), so volatile keys minted since are unknown here";
}

}  // namespace keyward
