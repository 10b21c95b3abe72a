#include "replicas/peer_hub.h"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <set>

#include "replicas/peer_messages.h"

namespace keyward {

std::string RandomId() {
  unsigned char bytes[8];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    const auto t = std::chrono::steady_clock::now().time_since_epoch().count();
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(t >> (8 * i));
  }
  char out[17];
  for (int i = 0; i < 8; ++i) std::snprintf(out + 2 * i, 3, "%02x", bytes[i]);
  return std::string(out, 16);
}

PeerHub::PeerHub(QuotaBook& quotas, const VolatileKeyStore& volatile_keys, std::string pepper_id,
                 std::string identity, std::function<bool()> is_leader)
    : quotas_(quotas), volatile_keys_(volatile_keys), pepper_id_(std::move(pepper_id)),
      identity_(std::move(identity)), is_leader_(std::move(is_leader)) {}

void PeerHub::ObserveLeadership(bool leader) {
  std::lock_guard lock(mu_);
  if (leader == leading_) return;
  leading_ = leader;
  followers_.clear();
  epoch_ = leader ? RandomId() : "";
  if (leader) spdlog::info("replicas: leading epoch {}; followers sync with it", epoch_);
}

std::string PeerHub::epoch() const {
  std::lock_guard lock(mu_);
  return epoch_;
}

std::size_t PeerHub::FollowersWithin(std::chrono::steady_clock::duration within) const {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  std::set<std::string> recent;
  for (const auto& [_, f] : followers_) {
    if (now - f.seen <= within) recent.insert(f.identity);
  }
  return recent.size();
}

HttpResponse PeerHub::Handle(const HttpRequest& request) {
  if (request.method != "POST") return JsonError(405, "POST a sync request");
  Result<SyncRequest> req = DecodeSyncRequest(request.body);
  if (!req.ok()) return JsonError(400, "sync request: " + req.error());
  ObserveLeadership(is_leader_());
  SyncResponse answer;
  answer.leader = identity_;
  {
    std::lock_guard lock(mu_);
    if (!leading_) return JsonError(503, identity_ + " is not the leader");
    answer.epoch = epoch_;
    if (req->epoch != epoch_) {
      HttpResponse r;
      r.status = 409;
      r.body = EncodeSyncResponse(answer, pepper_id_);
      return r;
    }
    const auto now = std::chrono::steady_clock::now();
    for (auto it = followers_.begin(); it != followers_.end();) {
      // An instance gone for 10 minutes (restarted, scaled down) is forgotten.
      it = now - it->second.seen > std::chrono::minutes(10) ? followers_.erase(it) : std::next(it);
    }
    Follower& f = followers_[req->instance];
    f.identity = req->identity;
    f.seen = now;
    // Counts are cumulative: a request sent again (its answer was lost)
    // adds nothing.
    for (const QuotaBook::Report& r : req->usage) {
      SharedCounts& last = f.reported[r.ref.String()];
      quotas_.Absorb(r.ref, Minus(r.counts, last));
      last = r.counts;
    }
  }
  answer.usage = quotas_.ChangedSince(req->usage_since, &answer.usage_version);
  answer.volatile_version = volatile_keys_.version();
  if (answer.volatile_version != req->volatile_version) {
    answer.volatile_keys = volatile_keys_.Snapshot(&answer.volatile_version);
    answer.volatile_included = true;
  }
  HttpResponse r;
  r.body = EncodeSyncResponse(answer, pepper_id_);
  return r;
}

}  // namespace keyward
