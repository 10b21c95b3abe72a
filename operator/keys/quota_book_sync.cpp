// QuotaBook's replication: what a follower reports to the leader, what the
// leader absorbs and answers (docs/replicas.md, "Usage and quotas").
#include <algorithm>

#include "keys/quota_book.h"

namespace keyward {

void QuotaBook::SetReporting(bool reporting) {
  if (reporting_.exchange(reporting) == reporting) return;
  // Either way the other side's bookkeeping is over: a new follower starts
  // a new epoch; a new leader's counts (the old leader's as last seen, plus
  // what it had not reported) are the cluster's from now on.
  for (auto& [id, e] : All()) {
    std::lock_guard lock(e->mu);
    e->unacked = SharedCounts{};
    e->reported = SharedCounts{};
  }
}

void QuotaBook::StartEpoch() {
  for (auto& [id, e] : All()) {
    std::lock_guard lock(e->mu);
    e->reported = SharedCounts{};
  }
}

std::vector<QuotaBook::Report> QuotaBook::PrepareReport() const {
  std::vector<Report> out;
  for (auto& [id, e] : All()) {
    std::lock_guard lock(e->mu);
    if (e->unacked.empty()) continue;
    out.push_back({ApiKeyRef::FromKey(id), Plus(e->reported, e->unacked), e->unacked});
  }
  return out;
}

void QuotaBook::Acknowledge(const std::vector<Report>& sent) {
  for (const Report& r : sent) {
    std::shared_ptr<Entry> e = Find(r.ref.String());
    if (!e) continue;
    std::lock_guard lock(e->mu);
    e->reported = r.counts;
    SharedCounts left = Minus(e->unacked, r.sent);
    if (left.day == 0 && left.month == 0 && left.total == 0) left = SharedCounts{};
    e->unacked = left;
  }
}

void QuotaBook::ApplyLeaderCounts(const ApiKeyRef& ref, const SharedCounts& leader) {
  std::shared_ptr<Entry> e = FindOrAdd(ref);
  std::lock_guard lock(e->mu);
  e->counter.SetShared(Plus(leader, e->unacked));
  e->last_used = std::max({e->last_used, leader.last_used});
  e->in_status = leader;  // the leader writes those
  e->changed = true;  // written by this replica if it becomes leader
}

void QuotaBook::Absorb(const ApiKeyRef& ref, const SharedCounts& delta) {
  if (delta.empty()) return;
  std::shared_ptr<Entry> e = FindOrAdd(ref);
  std::lock_guard lock(e->mu);
  e->counter.Absorb(delta);
  e->last_used = std::max(e->last_used, delta.last_used);
  e->changed = true;
  e->version = ++version_;
}

std::vector<QuotaBook::Report> QuotaBook::ChangedSince(std::uint64_t since,
                                                       std::uint64_t* version) const {
  *version = version_.load();
  std::vector<Report> out;
  for (auto& [id, e] : All()) {
    std::lock_guard lock(e->mu);
    if (e->version <= since) continue;
    SharedCounts counts = e->counter.Shared();
    counts.last_used = e->last_used;
    out.push_back({ApiKeyRef::FromKey(id), counts, SharedCounts{}});
  }
  return out;
}

}  // namespace keyward
