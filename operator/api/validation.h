// Validation of ApiKey manifests with field paths: the one implementation
// behind `keyward validate` and the admission webhook. Pure, thread-safe.
#pragma once
#include <cpprest/json.h>

#include "api/apikey.h"
#include "api/field_error.h"
#include "api/input_rules.h"
#include "base/time_format.h"

namespace keyward {

// The longest ttl, rotation.every and rotation.overlap: 100 years. Longer
// lifetimes mean "never" and say so by omitting the field; the bound keeps
// every derived time inside what a TimePoint holds (docs/decisions.md).
inline constexpr std::chrono::hours kLongestDuration{24 * 36500};
inline constexpr const char* kLongestDurationText = "36500d";

// Semantic checks of a parsed ApiKey. |creating| adds the checks that only
// hold at creation (expiresAt must be in the future at |now|).
FieldErrors ValidateApiKey(const ApiKey& key, TimePoint now, bool creating);

// Checks that only apply to an update from |old_key| (spec.type immutable).
FieldErrors ValidateApiKeyUpdate(const ApiKey& old_key, const ApiKey& new_key);

// The checks of spec.access and spec.limits, for other kinds that hold
// rules and limits (templates), with their own |path|.
FieldErrors ValidateRules(const std::vector<AccessRule>& rules,
                          const std::vector<std::size_t>& unparsed, const std::string& path);
FieldErrors ValidateLimits(const Limits& limits, const std::string& path);

// Parse + validate in one call, as the linter and the webhook use it.
FieldErrors CheckApiKeyObject(const web::json::value& object, TimePoint now, bool creating);

// The absolute expiry of a key created at |created|: expiresAt, or created +
// ttl (clamped, never wrapped), or nullopt for a key that never expires (or
// one that does not parse).
std::optional<TimePoint> EffectiveExpiry(const ApiKeySpec& spec, TimePoint created);

// DNS-1123 subdomain (Secret and object names) and label (namespace names).
bool IsDns1123Subdomain(std::string_view s);
bool IsDns1123Label(std::string_view s);

// Kubernetes label/annotation keys ([prefix/]name) and label values.
bool IsQualifiedName(std::string_view s);
bool IsLabelValue(std::string_view s);
// A Secret data key: [-._a-zA-Z0-9]+, at most 253 characters.
bool IsSecretDataKeyName(std::string_view s);

}  // namespace keyward
