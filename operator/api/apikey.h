// The ApiKey custom resource (keyward.io/v1alpha1) as C++ values, parsed
// from the JSON the API server sends. Plain data; no behaviour, no I/O.
#pragma once
#include <cpprest/json.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "keys/access_rules.h"
#include "api/field_error.h"
#include "keys/quota.h"

namespace keyward {

inline constexpr const char* kApiGroup = "keyward.io";
inline constexpr const char* kApiVersion = "keyward.io/v1alpha1";
inline constexpr const char* kKind = "ApiKey";
inline constexpr const char* kTemplateKind = "ApiKeyTemplate";
inline constexpr const char* kClusterTemplateKind = "ClusterApiKeyTemplate";

enum class KeyType { kPermanent, kVolatile };

struct ObjectMeta {
  std::string name;
  std::string namespace_name;
  std::string uid;
  std::string resource_version;
  std::int64_t generation = 0;
  std::string creation_timestamp;
  bool deleting = false;  // metadata.deletionTimestamp is set
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
};

struct SecretTemplate {
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::map<std::string, std::string> data;
};

struct Rotation {
  std::string every;            // duration text, e.g. "30d"
  std::string overlap = "1h";   // duration text
};

// spec.templateRef: the template whose rules and limits a key uses.
struct TemplateRef {
  std::string kind = kTemplateKind;  // or kClusterTemplateKind
  std::string name;
  bool cluster() const { return kind == kClusterTemplateKind; }
  bool operator==(const TemplateRef&) const = default;
};

struct ApiKeySpec {
  std::string description;
  KeyType type = KeyType::kPermanent;
  std::optional<std::string> expires_at;  // RFC 3339 text as written
  std::optional<std::string> ttl;         // duration text as written
  bool disabled = false;
  std::vector<AccessRule> access;
  // Indexes of rules whose scope or setType did not parse; validation skips
  // them so a typo yields one error, not a cascade.
  std::vector<std::size_t> unparsed_rules;
  // Instead of access (and limits): the template's, read live.
  std::optional<TemplateRef> template_ref;
  Limits limits;
  bool has_limits = false;  // spec.limits was written
  std::optional<std::string> secret_name;  // nullopt: "<name>-apikey"
  SecretTemplate secret_template;
  std::optional<Rotation> rotation;
};

struct Condition {
  std::string type, status, reason, message, last_transition_time;
  std::int64_t observed_generation = 0;
};

// One day ("2026-12-06") or month ("2026-12") of checks.
struct PeriodCount {
  std::string period;
  std::int64_t count = 0;
  bool operator==(const PeriodCount&) const = default;
};

struct Usage {
  std::int64_t today = 0, this_month = 0, total = 0;
  std::vector<PeriodCount> daily;    // newest first, at most 31 (UTC days)
  std::vector<PeriodCount> monthly;  // newest first, at most 12 (UTC months)
};

struct ApiKeyStatus {
  std::string phase;
  // What the key reaches, in a word for `kubectl get`: "namespace+2" (the
  // first rule's scope and how many more rules), "template/NAME".
  std::string scope;
  std::string key_hint, key_hash, secret_name, created_by;
  std::string expires_at, last_rotated_at, last_used_at;
  // The key replaced by the last rotation, valid until previous_valid_until.
  std::string previous_key_hash, previous_valid_until;
  Usage usage;
  std::int64_t observed_generation = 0;
  std::vector<Condition> conditions;
};

struct ApiKey {
  ObjectMeta metadata;
  ApiKeySpec spec;
  ApiKeyStatus status;
};

const char* KeyTypeName(KeyType type);

// Reads an ApiKey object. Wrong JSON types, unknown fields and unknown enum
// values are appended to |errors| with their field paths; the returned
// value holds whatever could be read (defaults elsewhere).
ApiKey ParseApiKey(const web::json::value& object, FieldErrors* errors);

// The annotation that asks for one rotation: an RFC 3339 time; the key is
// rotated if it is older than that time.
inline constexpr const char* kRotateRequestedAnnotation = "keyward.io/rotate-requested-at";

// The Secret name a permanent key is delivered in.
std::string EffectiveSecretName(const ApiKey& key);

// Typical ApiKeys as the API server sends them (permanent keys with limits,
// rotation and a previous key; a volatile one), as cpprestsdk writes them:
// the dictionary the ApiKey cache packs each object's text against
// (StoreOptions::dictionary). Carries no key and no digest of a real key.
std::string TypicalApiKeysText();

}  // namespace keyward
