// Validation of ApiKey manifests with field paths: the one implementation
// behind `keyward validate` and the admission webhook. Pure, thread-safe.
#pragma once
#include <cpprest/json.h>

#include "api/apikey.h"
#include "api/field_error.h"
#include "base/time_format.h"

namespace keyward {

// Semantic checks of a parsed ApiKey. |creating| adds the checks that only
// hold at creation (expiresAt must be in the future at |now|).
FieldErrors ValidateApiKey(const ApiKey& key, TimePoint now, bool creating);

// Checks that only apply to an update from |old_key| (spec.type immutable).
FieldErrors ValidateApiKeyUpdate(const ApiKey& old_key, const ApiKey& new_key);

// Parse + validate in one call, as the linter and the webhook use it.
FieldErrors CheckApiKeyObject(const web::json::value& object, TimePoint now, bool creating);

// The absolute expiry of a key created at |created|: expiresAt, or created +
// ttl, or nullopt for a key that never expires (or one that does not parse).
std::optional<TimePoint> EffectiveExpiry(const ApiKeySpec& spec, TimePoint created);

// DNS-1123 subdomain (Secret and object names) and label (namespace names).
bool IsDns1123Subdomain(std::string_view s);
bool IsDns1123Label(std::string_view s);

// Kubernetes label/annotation keys ([prefix/]name) and label values.
bool IsQualifiedName(std::string_view s);
bool IsLabelValue(std::string_view s);

}  // namespace keyward
