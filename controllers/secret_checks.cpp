#include "controllers/secret_checks.h"

#include <cstring>

namespace keyward {
namespace {

std::int64_t Nanos(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

TimePoint FromNanos(std::int64_t ns) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::nanoseconds(ns)));
}

}  // namespace

void SecretChecks::Pack(const SecretKeyState& secret, Record* record) {
  const bool plain = secret.message.empty() && !secret.previous && secret.previous_pepper.empty() &&
                     secret.hint.size() <= sizeof(record->hint);
  if (!plain) {
    record->full = std::make_unique<const SecretKeyState>(secret);
    return;
  }
  record->full.reset();
  record->digest = secret.digest;
  record->minted_at = secret.minted_at ? Nanos(*secret.minted_at) : kNone;
  record->hint_size = static_cast<std::uint8_t>(secret.hint.size());
  std::memcpy(record->hint, secret.hint.data(), secret.hint.size());
}

SecretKeyState SecretChecks::Unpack(const Record& record) {
  if (record.full) return *record.full;
  SecretKeyState secret;
  secret.outcome = SecretKeyState::Outcome::kExisting;
  secret.digest = record.digest;
  secret.hint.assign(record.hint, record.hint_size);
  if (record.minted_at != kNone) secret.minted_at = FromNanos(record.minted_at);
  return secret;
}

std::optional<SecretKeyState> SecretChecks::Recall(const std::string& key, TimePoint now,
                                                   std::chrono::milliseconds interval) const {
  std::lock_guard lock(mu_);
  auto it = records_.find(key);
  if (it == records_.end() || it->second.verified_at == kNone) return std::nullopt;
  if (now - FromNanos(it->second.verified_at) >= interval) return std::nullopt;
  return Unpack(it->second);
}

void SecretChecks::Remember(const std::string& key, const SecretKeyState& secret, TimePoint now) {
  std::lock_guard lock(mu_);
  Record& record = records_[key];
  Pack(secret, &record);
  record.verified_at = Nanos(now);
}

std::chrono::milliseconds SecretChecks::Slot(const std::string& key, RateLimiter* budget,
                                             SteadyClock::time_point now) {
  const std::int64_t now_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  std::lock_guard lock(mu_);
  auto it = records_.find(key);
  if (it == records_.end() || it->second.slot_at == kNone) {
    // A place in line, not a retry: keys over the budget come back one
    // after another at its rate instead of all at once for the next token.
    auto wait = budget->Reserve(now);
    if (wait.count() <= 0) return std::chrono::milliseconds(0);
    if (it == records_.end()) it = records_.emplace(key, Record{}).first;
    it->second.slot_at = now_ns + wait.count();
  }
  Record& record = it->second;
  if (now_ns >= record.slot_at) {
    record.slot_at = kNone;  // its token was paid when it took the place
    if (record.verified_at == kNone) records_.erase(it);
    return std::chrono::milliseconds(0);
  }
  return std::chrono::ceil<std::chrono::milliseconds>(std::chrono::nanoseconds(record.slot_at - now_ns));
}

void SecretChecks::Forget(const std::string& key) {
  std::lock_guard lock(mu_);
  records_.erase(key);
}

std::size_t SecretChecks::size() const {
  std::lock_guard lock(mu_);
  return records_.size();
}

}  // namespace keyward
