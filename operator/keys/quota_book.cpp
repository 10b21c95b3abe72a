#include "keys/quota_book.h"

namespace keyward {

std::shared_ptr<QuotaBook::Entry> QuotaBook::Find(const std::string& id) const {
  std::shared_lock lock(mu_);
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : it->second;
}

std::shared_ptr<QuotaBook::Entry> QuotaBook::FindOrAdd(const std::string& id) {
  if (auto e = Find(id)) return e;
  std::unique_lock lock(mu_);
  auto& slot = entries_[id];
  if (!slot) slot = std::make_shared<Entry>();
  return slot;
}

QuotaResult QuotaBook::TryConsume(const ApiKeyRef& ref, const Limits& limits, TimePoint now) {
  std::shared_ptr<Entry> e = FindOrAdd(ref.String());
  std::lock_guard lock(e->mu);
  return e->counter.TryConsume(limits, now);
}

QuotaResult QuotaBook::Peek(const ApiKeyRef& ref, const Limits& limits, TimePoint now) const {
  std::shared_ptr<Entry> e = Find(ref.String());
  if (!e) return QuotaCounter().Peek(limits, now);
  std::lock_guard lock(e->mu);
  return e->counter.Peek(limits, now);
}

void QuotaBook::Restore(const ApiKeyRef& ref, std::int64_t today, std::int64_t this_month,
                        TimePoint as_of) {
  std::shared_ptr<Entry> e = FindOrAdd(ref.String());
  std::lock_guard lock(e->mu);
  e->counter.Restore(today, this_month, as_of);
}

void QuotaBook::Forget(const ApiKeyRef& ref) {
  std::unique_lock lock(mu_);
  entries_.erase(ref.String());
}

}  // namespace keyward
