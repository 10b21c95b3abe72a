#include "keys/key_index.h"

#include <algorithm>
#include <mutex>

namespace keyward {

namespace {

// Moves the index's generation as a write section ends, still under its
// lock, so the new value is never seen before the write.
struct GenerationBump {
  std::atomic<std::uint64_t>& generation;
  ~GenerationBump() { generation.fetch_add(1, std::memory_order_release); }
};

}  // namespace

KeyIndex::KeyIndex(std::string_view pepper, std::string_view previous)
    : hasher_(pepper), previous_(previous.empty() ? nullptr : std::make_unique<const KeyHasher>(previous)) {}

bool KeyIndex::KnowsPepper(std::string_view pepper_id) const {
  return pepper_id == hasher_.id() || (previous_ && pepper_id == previous_->id());
}

std::optional<KeyDigest> KeyIndex::LiveDigest(std::string_view text) const {
  std::string id;
  auto digest = DigestFromStatus(text, &id);
  if (!digest || !KnowsPepper(id)) return std::nullopt;
  return digest;
}

void KeyIndex::SetSlotPolicy(DigestTable::Slot* slot, std::shared_ptr<const IndexedPolicy> policy) {
  slot->prefetch = policy ? policy->policy.rules.data() : nullptr;
  slot->policy = std::move(policy);
}

std::optional<ApiKeyRef> KeyIndex::AddKey(const ApiKeyRef& ref, const KeyDigest& digest,
                                          std::optional<TimePoint> valid_until) {
  std::unique_lock lock(mu_);
  GenerationBump bump{generation_};
  const std::string ref_key = ref.String();
  if (const DigestTable::Slot* slot = by_digest_.Find(digest);
      slot && (!slot->policy || slot->policy->ref != ref)) {
    std::optional<ApiKeyRef> holder = HolderLocked(digest);
    if (holder && *holder != ref) return holder;  // the first owner keeps it
  }
  Record& rec = by_ref_[ref_key];
  rec.digests.Add(digest);
  DigestTable::Slot* slot = by_digest_.Insert(digest);
  slot->set_valid_until(valid_until.value_or(TimePoint::max()));
  SetSlotPolicy(slot, rec.policy);
  return std::nullopt;
}

void KeyIndex::RetireKey(const ApiKeyRef& ref, const KeyDigest& digest, TimePoint valid_until) {
  std::unique_lock lock(mu_);
  GenerationBump bump{generation_};
  auto rec = by_ref_.find(ref.String());
  if (rec == by_ref_.end()) return;
  if (!rec->second.digests.Contains(digest)) return;
  if (DigestTable::Slot* slot = by_digest_.Find(digest)) slot->set_valid_until(valid_until);
}

void KeyIndex::SetPolicy(std::shared_ptr<const IndexedPolicy> policy) {
  std::unique_lock lock(mu_);
  GenerationBump bump{generation_};
  Record& rec = by_ref_[policy->ref.String()];
  rec.policy = std::move(policy);
  rec.digests.ForEach([this, &rec](const KeyDigest& d) {
    if (DigestTable::Slot* slot = by_digest_.Find(d)) SetSlotPolicy(slot, rec.policy);
  });
}

std::optional<ApiKeyRef> KeyIndex::HolderLocked(const KeyDigest& digest) const {
  for (const auto& [key, rec] : by_ref_) {
    if (rec.digests.Contains(digest)) return ApiKeyRef::FromKey(key);
  }
  return std::nullopt;
}

void KeyIndex::RemoveKey(const ApiKeyRef& ref, const KeyDigest& digest) {
  std::unique_lock lock(mu_);
  GenerationBump bump{generation_};
  auto rec = by_ref_.find(ref.String());
  if (rec == by_ref_.end()) return;
  if (rec->second.digests.Remove(digest)) by_digest_.Erase(digest);
}

void KeyIndex::RemoveApiKey(const ApiKeyRef& ref) {
  std::unique_lock lock(mu_);
  GenerationBump bump{generation_};
  auto rec = by_ref_.find(ref.String());
  if (rec == by_ref_.end()) return;
  rec->second.digests.ForEach([this](const KeyDigest& d) { by_digest_.Erase(d); });
  by_ref_.erase(rec);
}

std::size_t KeyIndex::RetainApiKeys(const std::function<bool(const std::string& key)>& keep) {
  // Asked under the shared lock, so checks go on meanwhile; asked again
  // for the few to drop under the write lock (one may have come back).
  std::vector<std::string> gone;
  {
    std::shared_lock lock(mu_);
    for (const auto& [key, rec] : by_ref_) {
      if (!keep(key)) gone.push_back(key);
    }
  }
  if (gone.empty()) return 0;
  std::unique_lock lock(mu_);
  GenerationBump bump{generation_};
  std::size_t removed = 0;
  for (const std::string& key : gone) {
    auto it = by_ref_.find(key);
    if (it == by_ref_.end() || keep(key)) continue;
    it->second.digests.ForEach([this](const KeyDigest& d) { by_digest_.Erase(d); });
    by_ref_.erase(it);
    ++removed;
  }
  return removed;
}

void KeyIndex::RetainKeys(const ApiKeyRef& ref, const std::vector<KeyDigest>& keep) {
  std::unique_lock lock(mu_);
  GenerationBump bump{generation_};
  auto rec = by_ref_.find(ref.String());
  if (rec == by_ref_.end()) return;
  DigestSet& ds = rec->second.digests;
  for (const KeyDigest& d : ds.ToVector()) {
    if (std::find(keep.begin(), keep.end(), d) == keep.end() && ds.Remove(d)) by_digest_.Erase(d);
  }
}

// Disabled wins over expired; both are decided here and nowhere else.
LookupStatus PolicyStatus(const KeyPolicy& p, TimePoint now) {
  if (p.disabled) return LookupStatus::kDisabled;
  if (p.expires_at && now >= *p.expires_at) return LookupStatus::kExpired;
  return LookupStatus::kFound;
}

LookupResult KeyIndex::Lookup(std::string_view key, TimePoint now) const {
  KeyFormatError format = CheckKeyFormat(key);
  if (format != KeyFormatError::kOk) {
    LookupResult r;
    r.status = LookupStatus::kMalformed;
    r.format_error = format;
    return r;
  }
  LookupResult found = LookupDigest(hasher_.Hash(key), now);
  if (found.status != LookupStatus::kUnknown || !previous_) return found;
  return LookupDigest(previous_->Hash(key), now);
}

LookupResult KeyIndex::LookupDigest(const KeyDigest& digest, TimePoint now) const {
  LookupResult r;
  std::shared_lock lock(mu_);
  const DigestTable::Slot* slot = by_digest_.Find(digest);
  // The probe compares HMAC digests, whose timing leaks nothing useful about
  // a key; the final equality is still constant-time.
  if (!slot || !DigestsEqual(slot->digest, digest) || !slot->policy) return r;
  // The policy and its compiled rules are two allocations: fetch both at once.
  __builtin_prefetch(slot->prefetch);
  r.policy = slot->policy;
  r.digest = digest;
  r.status = now >= slot->valid_until() && !r.policy->policy.disabled ? LookupStatus::kExpired
                                                                     : PolicyStatus(r.policy->policy, now);
  return r;
}

LookupResult KeyIndex::LookupRef(const ApiKeyRef& ref, TimePoint now) const {
  LookupResult r;
  std::shared_lock lock(mu_);
  auto rec = by_ref_.find(ref.String());
  if (rec == by_ref_.end() || !rec->second.policy || rec->second.digests.empty()) return r;
  r.policy = rec->second.policy;
  r.status = PolicyStatus(r.policy->policy, now);
  return r;
}

std::vector<KeyDigest> KeyIndex::KeysOf(const ApiKeyRef& ref) const {
  std::shared_lock lock(mu_);
  auto rec = by_ref_.find(ref.String());
  return rec == by_ref_.end() ? std::vector<KeyDigest>{} : rec->second.digests.ToVector();
}

std::size_t KeyIndex::size() const {
  std::shared_lock lock(mu_);
  return by_digest_.size();
}

}  // namespace keyward
