#include "controllers/template_status.h"

#include "api/apikey_template.h"
#include "kube/json_fields.h"

namespace keyward {

using web::json::value;

TemplateStatus TemplateStatusOf(const value& object, std::int64_t keys) {
  TemplateStatus s;
  s.observed_generation = JsonInt(object, {"metadata", "generation"}).value_or(0);
  s.keys_issued = keys;
  FieldErrors errors = CheckApiKeyTemplateObject(object);
  s.valid = errors.empty();
  if (s.valid) {
    s.message = "keys and requests may use this template";
    return s;
  }
  for (std::size_t i = 0; i < errors.size() && i < 5; ++i) {
    if (i) s.message += "; ";
    s.message += errors[i].String();
  }
  if (errors.size() > 5) s.message += "; and " + std::to_string(errors.size() - 5) + " more";
  return s;
}

std::optional<value> TemplateStatusPatch(const value& object, const TemplateStatus& s, TimePoint now) {
  const char* status = s.valid ? "True" : "False";
  const char* reason = s.valid ? "Valid" : "Invalid";
  std::string since = FormatRfc3339(now);
  bool same = JsonInt(object, {"status", "observedGeneration"}).value_or(-1) == s.observed_generation &&
              JsonInt(object, {"status", "keysIssued"}).value_or(-1) == s.keys_issued;
  bool found = false;
  for (const value& c : JsonArray(object, {"status", "conditions"})) {
    if (JsonStringOr(c, {"type"}) != "Ready") continue;
    found = true;
    const bool flipped = JsonStringOr(c, {"status"}) != status;
    if (!flipped) since = JsonStringOr(c, {"lastTransitionTime"}, since);
    same = same && !flipped && JsonStringOr(c, {"reason"}) == reason &&
           JsonStringOr(c, {"message"}) == s.message &&
           JsonInt(c, {"observedGeneration"}).value_or(-1) == s.observed_generation;
  }
  if (same && found) return std::nullopt;
  value ready;
  ready["type"] = value::string("Ready");
  ready["status"] = value::string(status);
  ready["reason"] = value::string(reason);
  ready["message"] = value::string(s.message);
  ready["lastTransitionTime"] = value::string(since);
  ready["observedGeneration"] = value::number(static_cast<int64_t>(s.observed_generation));
  value patch;
  value& st = patch["status"];
  st["observedGeneration"] = value::number(static_cast<int64_t>(s.observed_generation));
  st["keysIssued"] = value::number(static_cast<int64_t>(s.keys_issued));
  st["conditions"][0] = ready;
  return patch;
}

}  // namespace keyward
