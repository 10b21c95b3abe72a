#include "check/check_service.h"

namespace keyward {

const char* CheckReasonName(CheckReason reason) {
  switch (reason) {
    case CheckReason::kAllowed: return "allowed";
    case CheckReason::kMalformedKey: return "malformed_key";
    case CheckReason::kUnknownKey: return "unknown_key";
    case CheckReason::kDisabled: return "disabled";
    case CheckReason::kExpired: return "expired";
    case CheckReason::kPodNotFound: return "pod_not_found";
    case CheckReason::kNotInScope: return "not_in_scope";
    case CheckReason::kQuotaExceeded: return "quota_exceeded";
    case CheckReason::kUnavailable: return "unavailable";
  }
  return "unknown";
}

bool IsUnusableKey(CheckReason reason) {
  return reason == CheckReason::kMalformedKey || reason == CheckReason::kUnknownKey ||
         reason == CheckReason::kDisabled || reason == CheckReason::kExpired;
}

namespace {

CheckDecision Denied(CheckReason reason, std::string message) {
  CheckDecision d;
  d.reason = reason;
  d.message = std::move(message);
  return d;
}

// The lookup's verdict on the key itself, or nullopt when the key is usable.
std::optional<CheckDecision> KeyVerdict(const LookupResult& found) {
  switch (found.status) {
    case LookupStatus::kFound: return std::nullopt;
    case LookupStatus::kMalformed:
      return Denied(CheckReason::kMalformedKey, KeyFormatErrorString(found.format_error));
    case LookupStatus::kUnknown: return Denied(CheckReason::kUnknownKey, "unknown key");
    case LookupStatus::kDisabled: return Denied(CheckReason::kDisabled, "key is disabled");
    case LookupStatus::kExpired: return Denied(CheckReason::kExpired, "key expired");
  }
  return Denied(CheckReason::kUnknownKey, "unknown key");
}

// Fills the owner fields of |target| from the cluster; a denial when the
// pod is missing or its owner cannot be read.
std::optional<CheckDecision> ResolveTarget(OwnerResolver& owners, const KeyPolicy& policy,
                                          AccessTarget* target) {
  target->set_type.reset();
  target->set_name.clear();
  target->deployment.clear();
  if (target->pod.empty()) return std::nullopt;
  OwnerLookup found = owners.Resolve(target->namespace_name, target->pod);
  switch (found.outcome) {
    case OwnerLookup::Outcome::kFound:
      target->set_type = found.owner.set_type;
      target->set_name = found.owner.set_name;
      target->deployment = found.owner.deployment;
      return std::nullopt;
    case OwnerLookup::Outcome::kPodNotFound:
      // Only a key that could see the pod learns that it does not exist.
      if (!Decide(policy, *target).allowed) {
        return Denied(CheckReason::kNotInScope, "no rule allows " + target->namespace_name);
      }
      return Denied(CheckReason::kPodNotFound,
                    "pod " + target->namespace_name + "/" + target->pod + " not found");
    case OwnerLookup::Outcome::kUnavailable:
      return Denied(CheckReason::kUnavailable, "resolving pod owner: " + found.error);
  }
  return std::nullopt;
}

void SetRemaining(const QuotaResult& q, CheckDecision* d) {
  d->remaining_second = q.remaining_second;
  d->remaining_day = q.remaining_day;
  d->remaining_month = q.remaining_month;
  d->retry_after = q.retry_after;
}

bool HasLimits(const Limits& l) { return l.per_second || l.per_day || l.per_month; }

}  // namespace

std::optional<CheckDecision> CheckService::Verdict(const LookupResult& found) const {
  std::optional<CheckDecision> verdict = KeyVerdict(found);
  if (verdict && verdict->reason == CheckReason::kUnknownKey && volatile_gap_) {
    // Unknown here may be a volatile key this replica was not told of.
    if (std::optional<std::string> gap = volatile_gap_()) {
      return Denied(CheckReason::kUnavailable, "unknown key on this replica: " + *gap + "; try again");
    }
  }
  return verdict;
}

CheckDecision CheckService::Check(std::string_view key, AccessTarget target, TimePoint now,
                                  const ApiKeyRef* claimed) {
  LookupResult found = index_.Lookup(key, now);
  if (claimed && found.policy && !(found.policy->ref == *claimed)) {
    found.status = LookupStatus::kUnknown;  // a key presented under another ApiKey's name
    found.policy.reset();
  }
  return DecideFor(found, std::move(target), now, /*consume_quota=*/true);
}

CheckDecision CheckService::Authenticate(std::string_view key, TimePoint now) {
  LookupResult found = index_.Lookup(key, now);
  if (auto verdict = Verdict(found)) {
    if (found.policy) verdict->api_key = found.policy->ref;
    return *verdict;
  }
  CheckDecision d;
  d.allowed = true;
  d.reason = CheckReason::kAllowed;
  d.message = "authenticated";
  d.api_key = found.policy->ref;
  d.key_id = KeyIdOf(found.digest);
  quotas_.Touch(found.policy->ref, now);  // lastUsedAt; TokenReviews are not counted
  return d;
}

CheckDecision CheckService::Authorize(const ApiKeyRef& ref, AccessTarget target, TimePoint now) {
  return DecideFor(index_.LookupRef(ref, now), std::move(target), now, /*consume_quota=*/false);
}

CheckDecision CheckService::AuthorizeKey(const ApiKeyRef& ref, std::string_view key_id,
                                         AccessTarget target, TimePoint now) {
  for (const KeyDigest& digest : index_.KeysOf(ref)) {
    if (!KeyIdsEqual(KeyIdOf(digest), key_id)) continue;
    LookupResult found = index_.LookupDigest(digest, now);
    if (!found.policy || !(found.policy->ref == ref)) break;
    return DecideFor(found, std::move(target), now, /*consume_quota=*/false);
  }
  CheckDecision d;
  d.reason = CheckReason::kUnknownKey;
  d.message = "not a current key of ApiKey " + ref.String();
  d.api_key = ref;
  return d;
}

CheckDecision CheckService::Recheck(std::string_view key, AccessTarget target, TimePoint now) {
  return DecideFor(index_.Lookup(key, now), std::move(target), now, /*consume_quota=*/false);
}

CheckDecision CheckService::DecideFor(const LookupResult& found, AccessTarget target,
                                      TimePoint now, bool consume_quota) {
  if (auto verdict = Verdict(found)) {
    if (found.policy) verdict->api_key = found.policy->ref;
    return *verdict;
  }
  const IndexedPolicy& policy = *found.policy;
  if (auto denied = ResolveTarget(owners_, policy.policy, &target)) {
    denied->api_key = policy.ref;
    if (HasLimits(policy.limits)) SetRemaining(quotas_.Peek(policy.ref, policy.limits, now), &*denied);
    return *denied;
  }
  Decision rules = Decide(policy.policy, target);
  CheckDecision d;
  d.api_key = policy.ref;
  d.template_name = *policy.template_name;
  if (!rules.allowed) {
    d.reason = CheckReason::kNotInScope;
    d.message = std::move(rules.reason);
    if (HasLimits(policy.limits)) SetRemaining(quotas_.Peek(policy.ref, policy.limits, now), &d);
    return d;
  }
  d.scope = rules.scope;
  d.filter = std::move(rules.filter);
  if (consume_quota) {  // counted as usage even without limits
    QuotaResult q = quotas_.TryConsume(policy.ref, policy.limits, now);
    SetRemaining(q, &d);
    if (!q.allowed) {
      d.reason = CheckReason::kQuotaExceeded;
      d.message = std::string("quota exceeded: per-") + q.exceeded + " limit";
      return d;
    }
  }
  d.allowed = true;
  d.reason = CheckReason::kAllowed;
  d.message = "allowed";
  return d;
}

}  // namespace keyward
