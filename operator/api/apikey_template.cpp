#include "api/apikey_template.h"

#include <algorithm>

#include "api/object_reader.h"
#include "api/validation.h"

namespace keyward {

using web::json::value;

namespace {

void ParseLifetimes(const value& v, ApiKeyTemplateSpec* spec, FieldErrors* errors) {
  ObjectReader r(v, "spec.lifetimes", errors);
  r.RejectUnknown({"allowed", "default"});
  spec->allowed_lifetimes = r.StringList("allowed");
  spec->default_lifetime = r.String("default").value_or("");
}

void ParseFields(const value& v, ApiKeyTemplateSpec* spec, FieldErrors* errors) {
  if (!v.is_array()) {
    errors->push_back({"spec.fields", "must be a list of {name, description, value}"});
    return;
  }
  std::size_t i = 0;
  for (const value& item : v.as_array()) {
    ObjectReader r(item, "spec.fields[" + std::to_string(i++) + "]", errors);
    r.RejectUnknown({"name", "description", "value"});
    spec->fields.push_back({r.String("name").value_or(""), r.String("description").value_or(""),
                            r.String("value").value_or("")});
  }
}

void ParseTemplateSpec(const value& v, ApiKeyTemplateSpec* spec, FieldErrors* errors) {
  ObjectReader r(v, "spec", errors);
  r.RejectUnknown({"description", "type", "access", "limits", "lifetimes", "fields", "approval",
                   "price"});
  spec->description = r.String("description").value_or("");
  const std::string type = r.String("type").value_or("permanent");
  if (type == "volatile") {
    spec->type = KeyType::kVolatile;
  } else if (type != "permanent") {
    r.Error("spec.type", "unsupported value \"" + type + "\": want permanent or volatile");
  }
  if (const value* a = r.Get("access")) {
    ParseAccessList(*a, "spec.access", &spec->access, &spec->unparsed_rules, errors);
  }
  if (const value* l = r.Get("limits")) spec->limits = ParseLimits(*l, "spec.limits", errors);
  if (const value* l = r.Get("lifetimes")) ParseLifetimes(*l, spec, errors);
  if (const value* f = r.Get("fields")) ParseFields(*f, spec, errors);
  const std::string approval = r.String("approval").value_or("Manual");
  if (approval != "Manual" && approval != "Automatic") {
    r.Error("spec.approval", "unsupported value \"" + approval + "\": want Automatic or Manual");
  }
  spec->automatic_approval = approval == "Automatic";
  if (const value* p = r.Get("price")) {
    ObjectReader pr(*p, "spec.price", errors);
    pr.RejectUnknown({"perRequest", "currency"});
    spec->price = Price{pr.String("perRequest").value_or(""), pr.String("currency").value_or("")};
  }
}

void CheckLifetimes(const ApiKeyTemplateSpec& spec, FieldErrors* errors) {
  if (spec.allowed_lifetimes.empty()) {
    errors->push_back({"spec.lifetimes.allowed", "required: the lifetimes a request may choose "
                                                 "from, e.g. [7d, 30d, 90d, 1y, never]"});
  }
  for (std::size_t i = 0; i < spec.allowed_lifetimes.size(); ++i) {
    if (!IsLifetime(spec.allowed_lifetimes[i])) {
      errors->push_back({"spec.lifetimes.allowed[" + std::to_string(i) + "]",
                         "\"" + spec.allowed_lifetimes[i] + "\" is not a lifetime: never, or a "
                         "whole number of s, m, h, d, w or y (e.g. 30d, 1y)"});
    }
  }
  const auto& allowed = spec.allowed_lifetimes;
  if (!spec.default_lifetime.empty() &&
      std::find(allowed.begin(), allowed.end(), spec.default_lifetime) == allowed.end()) {
    errors->push_back({"spec.lifetimes.default", "\"" + spec.default_lifetime +
                                                     "\" must be one of spec.lifetimes.allowed"});
  }
}

void CheckFieldsAndPrice(const ApiKeyTemplateSpec& spec, FieldErrors* errors) {
  for (std::size_t i = 0; i < spec.fields.size(); ++i) {
    const std::string path = "spec.fields[" + std::to_string(i) + "].name";
    const std::string& name = spec.fields[i].name;
    if (name == "key") {
      errors->push_back({path, "reserved: keyward writes the key itself to data.key"});
    } else if (!IsSecretDataKeyName(name)) {
      errors->push_back({path, "\"" + name + "\" is not a Secret data key ([-._a-zA-Z0-9]+)"});
    }
  }
  if (!spec.fields.empty() && spec.type == KeyType::kVolatile) {
    errors->push_back({"spec.fields", "only for permanent keys: a volatile key has no Secret"});
  }
  if (!spec.price) return;
  if (!CostOf(1, spec.price->per_request)) {
    errors->push_back({"spec.price.perRequest", "\"" + spec.price->per_request +
                                                    "\" is not a decimal such as 0.002"});
  }
  const std::string& c = spec.price->currency;
  if (c.size() != 3 || !std::all_of(c.begin(), c.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; })) {
    errors->push_back({"spec.price.currency", "\"" + c + "\" is not an ISO 4217 code such as EUR"});
  }
}

}  // namespace

ApiKeyTemplate ParseApiKeyTemplate(const value& object, FieldErrors* errors) {
  ApiKeyTemplate t;
  ObjectReader root(object, "", errors);
  if (!root.ok()) {
    errors->push_back({"(root)", "a template must be a JSON object"});
    return t;
  }
  t.kind = root.String("kind").value_or("");
  if (t.kind != kTemplateKind && t.kind != kClusterTemplateKind) {
    root.Error("kind", "want ApiKeyTemplate or ClusterApiKeyTemplate, got \"" + t.kind + "\"");
  }
  if (const value* m = root.Get("metadata")) ParseMetadata(*m, &t.metadata, errors);
  if (const value* s = root.Get("spec")) {
    ParseTemplateSpec(*s, &t.spec, errors);
  } else {
    errors->push_back({"spec", "required"});
  }
  return t;
}

FieldErrors CheckApiKeyTemplateObject(const value& object) {
  FieldErrors errors;
  ApiKeyTemplate t = ParseApiKeyTemplate(object, &errors);
  if (t.spec.description.empty()) {
    errors.push_back({"spec.description", "required: say what keys of this kind are for"});
  } else if (!IsPrintableLine(t.spec.description)) {
    errors.push_back({"spec.description", kNotOnePrintableLine});
  }
  for (FieldErrors more : {ValidateRules(t.spec.access, t.spec.unparsed_rules, "spec.access"),
                           ValidateLimits(t.spec.limits, "spec.limits")}) {
    errors.insert(errors.end(), more.begin(), more.end());
  }
  CheckLifetimes(t.spec, &errors);
  CheckFieldsAndPrice(t.spec, &errors);
  return errors;
}

bool IsLifetime(const std::string& text) {
  return text == kNeverLifetime || LifetimeTtl(text).has_value();
}

std::optional<std::string> LifetimeTtl(const std::string& lifetime) {
  if (lifetime.size() < 2 || lifetime.size() > 8) return std::nullopt;
  const std::string digits = lifetime.substr(0, lifetime.size() - 1);
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      digits.front() == '0') {
    return std::nullopt;
  }
  switch (lifetime.back()) {
    case 's': case 'm': case 'h': case 'd': return lifetime;
    case 'w': return std::to_string(std::stoll(digits) * 7) + "d";
    case 'y': return std::to_string(std::stoll(digits) * 365) + "d";
    default: return std::nullopt;
  }
}

std::optional<std::string> ChosenLifetime(const ApiKeyTemplateSpec& spec, const std::string& asked) {
  const auto& allowed = spec.allowed_lifetimes;
  std::string chosen = asked;
  if (chosen.empty()) chosen = spec.default_lifetime;
  if (chosen.empty() && !allowed.empty()) chosen = allowed.front();
  if (std::find(allowed.begin(), allowed.end(), chosen) == allowed.end()) return std::nullopt;
  return chosen;
}

std::optional<std::string> CostOf(std::int64_t requests, const std::string& per_request) {
  constexpr int kScale = 9;  // nano-units
  const std::size_t dot = per_request.find('.');
  const std::string whole = per_request.substr(0, dot);
  const std::string frac = dot == std::string::npos ? "" : per_request.substr(dot + 1);
  auto digits = [](const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (whole.empty() || whole.size() > 12 || frac.size() > kScale || !digits(whole) ||
      !digits(frac) || (dot != std::string::npos && frac.empty()) || requests < 0) {
    return std::nullopt;
  }
  __int128 units = std::stoll(whole);
  for (int i = 0; i < kScale; ++i) units = units * 10 + (i < static_cast<int>(frac.size()) ? frac[i] - '0' : 0);
  units *= requests;
  std::string text;
  for (__int128 u = units; u > 0 || text.size() <= kScale; u /= 10) {
    text.insert(text.begin(), static_cast<char>('0' + static_cast<int>(u % 10)));
  }
  text.insert(text.end() - kScale, '.');
  while (text.back() == '0' && text.size() - text.find('.') > 3) text.pop_back();  // keep 2 decimals
  return text;
}

}  // namespace keyward
