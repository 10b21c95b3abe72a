#include "controllers/apikey_status.h"

#include "keys/key_format.h"

#include <vector>

namespace keyward {

using web::json::value;

const Condition* FindCondition(const ApiKeyStatus& status, const std::string& type) {
  for (const Condition& c : status.conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

void SetReadyCondition(ApiKeyStatus* status, bool ready, const std::string& reason,
                       const std::string& message, std::int64_t generation, TimePoint now) {
  SetCondition(status, "Ready", ready, reason, message, generation, now);
}

void RemoveCondition(ApiKeyStatus* status, const std::string& type) {
  std::erase_if(status->conditions, [&](const Condition& c) { return c.type == type; });
}

void SetCondition(ApiKeyStatus* status, const std::string& type, bool value, const std::string& reason,
                  const std::string& message, std::int64_t generation, TimePoint now) {
  Condition next{type, value ? "True" : "False", reason, message, FormatRfc3339(now), generation};
  for (Condition& c : status->conditions) {
    if (c.type != type) continue;
    if (c.status == next.status) next.last_transition_time = c.last_transition_time;
    c = next;
    return;
  }
  status->conditions.push_back(next);
}

bool StatusChanged(const ApiKeyStatus& a, const ApiKeyStatus& b) {
  if (a.phase != b.phase || a.scope != b.scope || a.key_hint != b.key_hint || a.key_hash != b.key_hash ||
      a.secret_name != b.secret_name || a.expires_at != b.expires_at || a.created_by != b.created_by ||
      a.last_rotated_at != b.last_rotated_at || a.observed_generation != b.observed_generation ||
      a.previous_key_hash != b.previous_key_hash ||
      a.previous_valid_until != b.previous_valid_until ||
      a.conditions.size() != b.conditions.size()) {
    return true;
  }
  for (std::size_t i = 0; i < a.conditions.size(); ++i) {
    const Condition &x = a.conditions[i], &y = b.conditions[i];
    if (x.type != y.type || x.status != y.status || x.reason != y.reason ||
        x.message != y.message || x.observed_generation != y.observed_generation) {
      return true;
    }
  }
  return false;
}

value StatusPatch(const ApiKeyStatus& s) {
  auto str = [](const std::string& v) { return v.empty() ? value::null() : value::string(v); };
  value st = value::object();
  st["phase"] = str(s.phase);
  st["scope"] = str(s.scope);
  st["keyHint"] = str(s.key_hint);
  st["keyHash"] = str(s.key_hash);
  st["secretName"] = str(s.secret_name);
  if (!s.created_by.empty()) st["createdBy"] = value::string(s.created_by);  // never cleared
  st["expiresAt"] = str(s.expires_at);
  st["lastRotatedAt"] = str(s.last_rotated_at);
  if (s.previous_key_hash.empty()) {
    st["previousKey"] = value::null();
  } else {
    st["previousKey"]["keyHash"] = value::string(s.previous_key_hash);
    st["previousKey"]["validUntil"] = value::string(s.previous_valid_until);
  }
  st["observedGeneration"] = value::number(static_cast<int64_t>(s.observed_generation));
  value conditions = value::array(s.conditions.size());
  for (std::size_t i = 0; i < s.conditions.size(); ++i) {
    const Condition& c = s.conditions[i];
    value& j = conditions[i];
    j["type"] = value::string(c.type);
    j["status"] = value::string(c.status);
    j["reason"] = value::string(c.reason);
    j["message"] = value::string(c.message);
    j["lastTransitionTime"] = value::string(c.last_transition_time);
    j["observedGeneration"] = value::number(static_cast<int64_t>(c.observed_generation));
  }
  st["conditions"] = conditions;
  value patch;
  patch["status"] = st;
  return patch;
}

std::string ScopeSummary(const ApiKeySpec& spec) {
  if (spec.template_ref) {
    // The name is the tenant's text: a key pasted there never reaches status.
    return RedactKeys((spec.template_ref->cluster() ? "clustertemplate/" : "template/") +
                      spec.template_ref->name);
  }
  if (spec.access.empty()) return "";
  std::string out = ScopeName(spec.access.front().scope);
  if (spec.access.size() > 1) out += "+" + std::to_string(spec.access.size() - 1);
  return out;
}

}  // namespace keyward
