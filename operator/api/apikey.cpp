#include "api/apikey.h"

#include <initializer_list>
#include <set>

namespace keyward {

using web::json::value;

const char* KeyTypeName(KeyType type) {
  return type == KeyType::kPermanent ? "permanent" : "volatile";
}

namespace {

// Reads fields of one JSON object, recording type errors under |path|.
class ObjectReader {
 public:
  ObjectReader(const value& v, std::string path, FieldErrors* errors)
      : v_(v), path_(std::move(path)), errors_(errors) {
    ok_ = v.is_object();
    if (!ok_ && !v.is_null()) Error(path_, "must be an object");
  }

  bool ok() const { return ok_; }
  std::string Path(const std::string& field) const {
    return path_.empty() ? field : path_ + "." + field;
  }
  void Error(const std::string& path, const std::string& reason) {
    errors_->push_back({path, reason});
  }

  // Reports fields not in |known| as unknown (typos like "namespace").
  void RejectUnknown(std::initializer_list<const char*> known) {
    if (!ok_) return;
    std::set<std::string> names(known.begin(), known.end());
    for (const auto& kv : v_.as_object()) {
      if (!names.count(kv.first)) Error(Path(kv.first), "unknown field");
    }
  }

  const value* Get(const std::string& field) const {
    if (!ok_ || !v_.has_field(field)) return nullptr;
    const value& f = v_.at(field);
    return f.is_null() ? nullptr : &f;
  }

  std::optional<std::string> String(const std::string& field) {
    const value* f = Get(field);
    if (!f) return std::nullopt;
    if (!f->is_string()) {
      Error(Path(field), "must be a string");
      return std::nullopt;
    }
    return f->as_string();
  }

  std::optional<bool> Bool(const std::string& field) {
    const value* f = Get(field);
    if (!f) return std::nullopt;
    if (!f->is_boolean()) {
      Error(Path(field), "must be true or false");
      return std::nullopt;
    }
    return f->as_bool();
  }

  std::optional<std::int64_t> Int(const std::string& field) {
    const value* f = Get(field);
    if (!f) return std::nullopt;
    if (!f->is_number() || !f->as_number().is_int64()) {
      Error(Path(field), "must be an integer");
      return std::nullopt;
    }
    return f->as_number().to_int64();
  }

  std::vector<std::string> StringList(const std::string& field) {
    std::vector<std::string> out;
    const value* f = Get(field);
    if (!f) return out;
    if (!f->is_array()) {
      Error(Path(field), "must be a list of strings");
      return out;
    }
    std::size_t i = 0;
    for (const value& item : f->as_array()) {
      if (item.is_string()) {
        out.push_back(item.as_string());
      } else {
        Error(Path(field) + "[" + std::to_string(i) + "]", "must be a string");
      }
      ++i;
    }
    return out;
  }

  std::map<std::string, std::string> StringMap(const std::string& field) {
    std::map<std::string, std::string> out;
    const value* f = Get(field);
    if (!f) return out;
    if (!f->is_object()) {
      Error(Path(field), "must be a map of strings");
      return out;
    }
    for (const auto& kv : f->as_object()) {
      if (kv.second.is_string()) {
        out[kv.first] = kv.second.as_string();
      } else {
        Error(Path(field) + "." + kv.first, "must be a string");
      }
    }
    return out;
  }

 private:
  const value& v_;
  std::string path_;
  FieldErrors* errors_;
  bool ok_;
};

AccessRule ParseRule(const value& v, const std::string& path, FieldErrors* errors) {
  AccessRule rule;
  ObjectReader r(v, path, errors);
  if (!r.ok()) {
    if (v.is_null()) errors->push_back({path, "must be an object"});
    return rule;
  }
  r.RejectUnknown({"scope", "namespaces", "setType", "sets", "pods", "containers", "filter",
                   "actions"});
  if (auto s = r.String("scope")) {
    if (auto scope = ParseScope(*s)) {
      rule.scope = *scope;
    } else {
      r.Error(r.Path("scope"), "unsupported value \"" + *s +
                                   "\": want one of cluster, namespace, set, pod, container, filter");
    }
  } else if (!r.Get("scope")) {
    r.Error(r.Path("scope"), "required");
  }
  if (auto s = r.String("setType")) {
    if (auto t = ParseSetType(*s)) {
      rule.set_type = *t;
    } else {
      r.Error(r.Path("setType"),
              "unsupported value \"" + *s + "\": want one of replica, stateful, daemon, deployment");
    }
  }
  rule.namespaces = r.StringList("namespaces");
  rule.sets = r.StringList("sets");
  rule.pods = r.StringList("pods");
  rule.containers = r.StringList("containers");
  rule.filter = r.String("filter").value_or("");
  if (r.Get("actions")) rule.actions = r.StringList("actions");
  return rule;
}

void ParseMetadata(const value& v, ObjectMeta* m, FieldErrors* errors) {
  ObjectReader r(v, "metadata", errors);
  m->name = r.String("name").value_or("");
  m->namespace_name = r.String("namespace").value_or("");
  m->uid = r.String("uid").value_or("");
  m->resource_version = r.String("resourceVersion").value_or("");
  m->generation = r.Int("generation").value_or(0);
  m->creation_timestamp = r.String("creationTimestamp").value_or("");
  m->deleting = r.Get("deletionTimestamp") != nullptr;
  m->labels = r.StringMap("labels");
  m->annotations = r.StringMap("annotations");
}

void ParseAccess(const value& access, ObjectReader& r, ApiKeySpec* spec, FieldErrors* errors) {
  if (!access.is_array()) {
    r.Error("spec.access", "must be a list of access rules");
    return;
  }
  std::size_t i = 0;
  for (const value& item : access.as_array()) {
    std::size_t before = errors->size();
    spec->access.push_back(ParseRule(item, "spec.access[" + std::to_string(i) + "]", errors));
    if (errors->size() != before) spec->unparsed_rules.push_back(i);
    ++i;
  }
}

Rotation ParseRotation(const value& rot, FieldErrors* errors) {
  ObjectReader rr(rot, "spec.rotation", errors);
  rr.RejectUnknown({"every", "overlap"});
  Rotation rotation;
  if (auto every = rr.String("every")) {
    rotation.every = *every;
  } else if (!rr.Get("every")) {
    rr.Error("spec.rotation.every", "required when spec.rotation is set (e.g. 30d)");
  }
  rotation.overlap = rr.String("overlap").value_or("1h");
  return rotation;
}

void ParseSpec(const value& v, ApiKeySpec* spec, FieldErrors* errors) {
  ObjectReader r(v, "spec", errors);
  if (!r.ok()) {
    errors->push_back({"spec", "required"});
    return;
  }
  r.RejectUnknown({"description", "type", "expiresAt", "ttl", "disabled", "access", "limits",
                   "secretName", "secretTemplate", "rotation"});
  if (auto d = r.String("description")) {
    spec->description = *d;
    if (d->empty()) r.Error("spec.description", "required: say what the key is for (1..256 characters)");
  } else if (!r.Get("description")) {
    r.Error("spec.description", "required: say what the key is for (1..256 characters)");
  }
  if (auto t = r.String("type")) {
    if (*t == "permanent") {
      spec->type = KeyType::kPermanent;
    } else if (*t == "volatile") {
      spec->type = KeyType::kVolatile;
    } else {
      r.Error("spec.type", "unsupported value \"" + *t + "\": want permanent or volatile");
    }
  }
  spec->expires_at = r.String("expiresAt");
  spec->ttl = r.String("ttl");
  spec->disabled = r.Bool("disabled").value_or(false);

  if (const value* access = r.Get("access")) ParseAccess(*access, r, spec, errors);
  if (const value* limits = r.Get("limits")) {
    ObjectReader lr(*limits, "spec.limits", errors);
    lr.RejectUnknown({"perSecond", "perDay", "perMonth"});
    spec->limits.per_second = lr.Int("perSecond");
    spec->limits.per_day = lr.Int("perDay");
    spec->limits.per_month = lr.Int("perMonth");
  }
  spec->secret_name = r.String("secretName");
  if (const value* tpl = r.Get("secretTemplate")) {
    ObjectReader tr(*tpl, "spec.secretTemplate", errors);
    tr.RejectUnknown({"labels", "annotations", "data"});
    spec->secret_template.labels = tr.StringMap("labels");
    spec->secret_template.annotations = tr.StringMap("annotations");
    spec->secret_template.data = tr.StringMap("data");
  }
  if (const value* rot = r.Get("rotation")) spec->rotation = ParseRotation(*rot, errors);
}

void ParseStatus(const value& v, ApiKeyStatus* s) {
  FieldErrors ignored;  // status is written by keyward itself
  ObjectReader r(v, "status", &ignored);
  s->phase = r.String("phase").value_or("");
  s->key_hint = r.String("keyHint").value_or("");
  s->key_hash = r.String("keyHash").value_or("");
  s->secret_name = r.String("secretName").value_or("");
  s->created_by = r.String("createdBy").value_or("");
  s->expires_at = r.String("expiresAt").value_or("");
  s->last_rotated_at = r.String("lastRotatedAt").value_or("");
  s->last_used_at = r.String("lastUsedAt").value_or("");
  if (const value* prev = r.Get("previousKey")) {
    ObjectReader pr(*prev, "status.previousKey", &ignored);
    s->previous_key_hash = pr.String("keyHash").value_or("");
    s->previous_valid_until = pr.String("validUntil").value_or("");
  }
  s->observed_generation = r.Int("observedGeneration").value_or(0);
  if (const value* u = r.Get("usage")) {
    ObjectReader ur(*u, "status.usage", &ignored);
    s->usage.today = ur.Int("today").value_or(0);
    s->usage.this_month = ur.Int("thisMonth").value_or(0);
    s->usage.total = ur.Int("total").value_or(0);
  }
  if (const value* cs = r.Get("conditions"); cs && cs->is_array()) {
    for (const value& c : cs->as_array()) {
      ObjectReader cr(c, "status.conditions", &ignored);
      Condition cond;
      cond.type = cr.String("type").value_or("");
      cond.status = cr.String("status").value_or("");
      cond.reason = cr.String("reason").value_or("");
      cond.message = cr.String("message").value_or("");
      cond.last_transition_time = cr.String("lastTransitionTime").value_or("");
      cond.observed_generation = cr.Int("observedGeneration").value_or(0);
      s->conditions.push_back(cond);
    }
  }
}

}  // namespace

ApiKey ParseApiKey(const value& object, FieldErrors* errors) {
  ApiKey key;
  if (!object.is_object()) {
    errors->push_back({"(root)", "an ApiKey must be a YAML/JSON object"});
    return key;
  }
  ObjectReader root(object, "", errors);
  auto api_version = root.String("apiVersion");
  auto kind = root.String("kind");
  if (api_version.value_or("") != kApiVersion) {
    root.Error("apiVersion", "want " + std::string(kApiVersion) + ", got \"" +
                                 api_version.value_or("") + "\"");
  }
  if (kind.value_or("") != kKind) {
    root.Error("kind", "want ApiKey, got \"" + kind.value_or("") + "\"");
  }
  if (const value* m = root.Get("metadata")) ParseMetadata(*m, &key.metadata, errors);
  if (key.metadata.name.empty()) errors->push_back({"metadata.name", "required"});
  if (const value* s = root.Get("spec")) {
    ParseSpec(*s, &key.spec, errors);
  } else {
    errors->push_back({"spec", "required"});
  }
  if (const value* st = root.Get("status")) ParseStatus(*st, &key.status);
  return key;
}

std::string EffectiveSecretName(const ApiKey& key) {
  return key.spec.secret_name.value_or(key.metadata.name + "-apikey");
}

}  // namespace keyward
