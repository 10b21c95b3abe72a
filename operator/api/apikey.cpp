#include "api/apikey.h"

#include "api/object_reader.h"

namespace keyward {

using web::json::value;

const char* KeyTypeName(KeyType type) {
  return type == KeyType::kPermanent ? "permanent" : "volatile";
}

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

void ParseAccessList(const value& access, const std::string& path, std::vector<AccessRule>* rules,
                     std::vector<std::size_t>* unparsed, FieldErrors* errors) {
  if (!access.is_array()) {
    errors->push_back({path, "must be a list of access rules"});
    return;
  }
  std::size_t i = 0;
  for (const value& item : access.as_array()) {
    std::size_t before = errors->size();
    rules->push_back(ParseRule(item, path + "[" + std::to_string(i) + "]", errors));
    if (errors->size() != before) unparsed->push_back(i);
    ++i;
  }
}

Limits ParseLimits(const value& v, const std::string& path, FieldErrors* errors) {
  ObjectReader lr(v, path, errors);
  lr.RejectUnknown({"perSecond", "perDay", "perMonth"});
  Limits limits;
  limits.per_second = lr.Int("perSecond");
  limits.per_day = lr.Int("perDay");
  limits.per_month = lr.Int("perMonth");
  return limits;
}

std::vector<Condition> ParseConditions(const value& cs) {
  std::vector<Condition> out;
  if (!cs.is_array()) return out;
  FieldErrors ignored;
  for (const value& c : cs.as_array()) {
    ObjectReader cr(c, "status.conditions", &ignored);
    Condition cond;
    cond.type = cr.String("type").value_or("");
    cond.status = cr.String("status").value_or("");
    cond.reason = cr.String("reason").value_or("");
    cond.message = cr.String("message").value_or("");
    cond.last_transition_time = cr.String("lastTransitionTime").value_or("");
    cond.observed_generation = cr.Int("observedGeneration").value_or(0);
    out.push_back(cond);
  }
  return out;
}

namespace {

std::optional<TemplateRef> ParseTemplateRef(const value& v, const std::string& path,
                                            FieldErrors* errors) {
  ObjectReader r(v, path, errors);
  if (!r.ok()) return std::nullopt;
  r.RejectUnknown({"kind", "name"});
  TemplateRef ref;
  ref.kind = r.String("kind").value_or(kTemplateKind);
  if (ref.kind != kTemplateKind && ref.kind != kClusterTemplateKind) {
    r.Error(r.Path("kind"), "unsupported value \"" + ref.kind + "\": want " + kTemplateKind +
                                " or " + kClusterTemplateKind);
  }
  ref.name = r.String("name").value_or("");
  if (ref.name.empty()) r.Error(r.Path("name"), "required: the template's name");
  return ref;
}

// status.usage.daily / monthly: [{<period_field>: "...", count: N}].
std::vector<PeriodCount> ParsePeriods(const value* list, const char* period_field) {
  std::vector<PeriodCount> out;
  if (!list || !list->is_array()) return out;
  FieldErrors ignored;
  for (const value& item : list->as_array()) {
    ObjectReader r(item, "", &ignored);
    auto period = r.String(period_field);
    if (period) out.push_back({*period, r.Int("count").value_or(0)});
  }
  return out;
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
  r.RejectUnknown({"description", "type", "expiresAt", "ttl", "disabled", "access", "templateRef",
                   "limits", "secretName", "secretTemplate", "rotation"});
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

  if (const value* access = r.Get("access")) {
    ParseAccessList(*access, "spec.access", &spec->access, &spec->unparsed_rules, errors);
  }
  if (const value* ref = r.Get("templateRef")) {
    spec->template_ref = ParseTemplateRef(*ref, "spec.templateRef", errors);
  }
  if (const value* limits = r.Get("limits")) {
    spec->limits = ParseLimits(*limits, "spec.limits", errors);
    spec->has_limits = true;
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
  s->scope = r.String("scope").value_or("");
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
    s->usage.daily = ParsePeriods(ur.Get("daily"), "date");
    s->usage.monthly = ParsePeriods(ur.Get("monthly"), "month");
  }
  if (const value* cs = r.Get("conditions")) s->conditions = ParseConditions(*cs);
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
