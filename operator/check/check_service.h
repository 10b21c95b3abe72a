// The decision service: "may this key do this action on this target now?"
// One path for every caller (keyward check, and every endpoint to come).
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "check/owner_resolver.h"
#include "keys/key_index.h"
#include "keys/quota_book.h"

namespace keyward {

// Why a check ended as it did. Every denial of an unusable key (malformed,
// unknown, disabled, expired) looks the same to a client; the reason goes to
// logs and metrics only.
enum class CheckReason {
  kAllowed,
  kMalformedKey,   // wrong length, prefix, alphabet or checksum: no lookup
  kUnknownKey,     // no ApiKey holds this key (never minted, deleted, rotated out)
  kDisabled,       // spec.disabled
  kExpired,        // past expiresAt/ttl, or a rotated-out key past its overlap
  kPodNotFound,    // the target pod does not exist
  kNotInScope,     // no access rule allows the target and action
  kQuotaExceeded,  // a per-second, per-day or per-month limit is used up
  kUnavailable,    // the pod's owner could not be read: try again
};

// Stable snake_case name for logs and metric labels, e.g. "not_in_scope".
const char* CheckReasonName(CheckReason reason);

// A key that cannot be used at all (malformed, unknown, disabled, expired).
bool IsUnusableKey(CheckReason reason);

struct CheckDecision {
  bool allowed = false;
  CheckReason reason = CheckReason::kUnknownKey;
  std::string message;                 // human readable; never contains a key
  std::optional<ApiKeyRef> api_key;    // the ApiKey the key belongs to, once known
  std::string key_id;                  // Authenticate: KeyIdOf the key's digest
  std::optional<Scope> scope;          // scope of the rule that allowed
  std::optional<std::string> filter;   // scope filter: the filter the caller must apply
  // Requests left after this one; nullopt = unlimited.
  std::optional<std::int64_t> remaining_second, remaining_day, remaining_month;
  Seconds retry_after{0};              // kQuotaExceeded: until the window resets
  std::string template_name;           // the ApiKey's spec.templateRef name, if any
};

class CheckService {
 public:
  CheckService(const KeyIndex& index, OwnerResolver& owners, QuotaBook& quotas)
      : index_(index), owners_(owners), quotas_(quotas) {}

  // format and checksum -> index lookup (disabled, expired) -> the pod's
  // owner, resolved here (target.set_* from a client are ignored; a missing
  // pod is reported only inside the key's scope) -> the compiled rules ->
  // one request of quota consumed and counted as usage.
  // |claimed|: the ApiKey the client named (Basic auth user); a key of
  // another ApiKey is then unknown.
  CheckDecision Check(std::string_view key, AccessTarget target, TimePoint now,
                      const ApiKeyRef* claimed = nullptr);

  // Who |key| is (TokenReview): allowed with api_key set when the key is
  // usable; no target, no quota; the key is marked used (lastUsedAt).
  CheckDecision Authenticate(std::string_view key, TimePoint now);

  // May the ApiKey |ref| reach |target| (SubjectAccessReview: the API server
  // names the user, not the key)? The same lookup, owner and rules as Check,
  // without a quota step.
  CheckDecision Authorize(const ApiKeyRef& ref, AccessTarget target, TimePoint now);
  // The same, for the one key of |ref| whose KeyIdOf is |key_id| (what
  // Authenticate gave kube-apiserver): a key rotated out or deleted since,
  // still in kube-apiserver's token cache, gets kUnknownKey, never the
  // ApiKey's current scope.
  CheckDecision AuthorizeKey(const ApiKeyRef& ref, std::string_view key_id, AccessTarget target,
                             TimePoint now);

  // A decision already made, asked again while its answer is in use (an
  // open log stream): the same lookup, owner and rules as Check, no quota.
  CheckDecision Recheck(std::string_view key, AccessTarget target, TimePoint now);

  // Moves whenever a key or an ApiKey's rules change in the index (its
  // template's included): a caller holding a decision asks Recheck again
  // when this is not the value it saw.
  std::uint64_t RulesGeneration() const { return index_.generation(); }

  // Why this replica may not know a volatile key now (it cannot reach the
  // leader; docs/replicas.md), or nullopt. Set: an unknown key is
  // kUnavailable with that message instead of kUnknownKey. Before serving.
  void SetVolatileGap(std::function<std::optional<std::string>()> gap) { volatile_gap_ = std::move(gap); }

 private:
  std::optional<CheckDecision> Verdict(const LookupResult& found) const;

  CheckDecision DecideFor(const LookupResult& found, AccessTarget target, TimePoint now,
                          bool consume_quota);

  const KeyIndex& index_;
  OwnerResolver& owners_;
  QuotaBook& quotas_;
  std::function<std::optional<std::string>()> volatile_gap_;
};

}  // namespace keyward
