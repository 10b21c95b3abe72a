#include "keys/quota_book.h"

#include <algorithm>

namespace keyward {

std::shared_ptr<QuotaBook::Entry> QuotaBook::Find(const std::string& id) const {
  std::shared_lock lock(mu_);
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : it->second;
}

std::shared_ptr<QuotaBook::Entry> QuotaBook::FindOrAdd(const ApiKeyRef& ref) {
  const std::string id = ref.String();
  if (auto e = Find(id)) return e;
  // Asked outside the lock: the source reads a cache and must not block
  // other keys' requests.
  std::optional<FlushedUsage> flushed = restore_ ? restore_(ref) : std::nullopt;
  std::unique_lock lock(mu_);
  auto& slot = entries_[id];
  if (!slot) {
    slot = std::make_shared<Entry>();
    if (flushed) {
      slot->counter.Restore(flushed->today, flushed->this_month, flushed->total, flushed->as_of);
      slot->last_used = flushed->as_of;
      slot->in_status = slot->counter.Shared();  // a new counter: just what status held
      slot->in_status.last_used = flushed->as_of;
    }
  }
  return slot;
}

QuotaResult QuotaBook::TryConsume(const ApiKeyRef& ref, const Limits& limits, TimePoint now) {
  std::shared_ptr<Entry> e = FindOrAdd(ref);
  std::lock_guard lock(e->mu);
  QuotaResult r = e->counter.TryConsume(limits, now);
  if (r.allowed) {
    e->last_used = std::max(e->last_used, now);
    e->changed = true;
    e->version = ++version_;
    if (reporting_) e->unacked = Plus(e->unacked, OneRequestAt(now));
  }
  return r;
}

QuotaResult QuotaBook::Peek(const ApiKeyRef& ref, const Limits& limits, TimePoint now) const {
  std::shared_ptr<Entry> e = Find(ref.String());
  if (!e) return QuotaCounter().Peek(limits, now);
  std::lock_guard lock(e->mu);
  return e->counter.Peek(limits, now);
}

void QuotaBook::Touch(const ApiKeyRef& ref, TimePoint now) {
  std::shared_ptr<Entry> e = FindOrAdd(ref);
  std::lock_guard lock(e->mu);
  e->last_used = std::max(e->last_used, now);
  e->changed = true;
  e->version = ++version_;
  if (reporting_) e->unacked.last_used = std::max(e->unacked.last_used, now);
}

void QuotaBook::Forget(const ApiKeyRef& ref) {
  std::unique_lock lock(mu_);
  entries_.erase(ref.String());
}

std::vector<std::pair<std::string, std::shared_ptr<QuotaBook::Entry>>> QuotaBook::All() const {
  std::shared_lock lock(mu_);
  return {entries_.begin(), entries_.end()};
}

std::vector<UsageSnapshot> QuotaBook::TakeChanged(TimePoint now) {
  std::vector<UsageSnapshot> changed;
  for (auto& [id, e] : All()) {
    std::lock_guard lock(e->mu);
    if (!e->changed) continue;
    e->changed = false;
    // Counts of the day and month of the last use: a key last used before
    // midnight keeps that day's count (status.usage.daily), not 0.
    const TimePoint as_of = e->last_used == TimePoint{} ? now : e->last_used;
    SharedCounts counts = e->counter.Shared();
    counts.last_used = e->last_used;
    changed.push_back({ApiKeyRef::FromKey(id), e->counter.today(as_of), e->counter.this_month(as_of),
                       e->counter.total(), e->last_used, counts, e->in_status});
  }
  return changed;
}

void QuotaBook::MarkUnwritten(const ApiKeyRef& ref) {
  if (std::shared_ptr<Entry> e = Find(ref.String())) {
    std::lock_guard lock(e->mu);
    e->changed = true;
  }
}

void QuotaBook::Settle(const ApiKeyRef& ref, const SharedCounts& taken, const SharedCounts& written) {
  std::shared_ptr<Entry> e = Find(ref.String());
  if (!e) return;
  std::lock_guard lock(e->mu);
  e->counter.Absorb(Minus(written, taken));
  e->last_used = std::max(e->last_used, written.last_used);
  e->in_status = written;
}

}  // namespace keyward
