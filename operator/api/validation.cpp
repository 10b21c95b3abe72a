#include "api/validation.h"

#include <algorithm>

#include "base/glob.h"

namespace keyward {
namespace {

bool IsAlnumLower(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

std::size_t Utf8Length(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

bool IsSecretDataKey(std::string_view k) {
  return !k.empty() && k.size() <= 253 && std::all_of(k.begin(), k.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.';
  });
}

bool IsAlnum(char c) {
  return IsAlnumLower(c) || (c >= 'A' && c <= 'Z');
}

// A Kubernetes "name" part of a label key or value: at most 63 characters,
// [A-Za-z0-9] at both ends, '-', '_' and '.' inside.
bool IsQualifiedNamePart(std::string_view s) {
  if (s.empty() || s.size() > 63 || !IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return IsAlnum(c) || c == '-' || c == '_' || c == '.'; });
}

constexpr std::size_t kMaxListEntries = 64;
constexpr std::size_t kMaxActions = 32;
constexpr std::size_t kMaxTemplateEntries = 64;

class Validator {
 public:
  Validator(TimePoint now, bool creating) : now_(now), creating_(creating) {}

  FieldErrors Run(const ApiKey& key) {
    if (!key.metadata.name.empty() && !IsDns1123Subdomain(key.metadata.name)) {
      Add("metadata.name", "must be a DNS-1123 subdomain (lowercase letters, digits, '-', '.')");
    }
    const ApiKeySpec& spec = key.spec;
    std::size_t len = Utf8Length(spec.description);
    if (len > 256) {
      Add("spec.description", "must be at most 256 characters (got " + std::to_string(len) + ")");
    }
    if (!IsPrintableLine(spec.description)) Add("spec.description", kNotOnePrintableLine);
    CheckExpiry(spec);
    CheckAccess(spec);
    CheckLimits(spec.limits);
    CheckDelivery(key);
    CheckRotation(spec);
    return std::move(errors_);
  }

 private:
  void Add(std::string path, std::string reason) {
    errors_.push_back({std::move(path), std::move(reason)});
  }

  void CheckExpiry(const ApiKeySpec& spec) {
    if (spec.expires_at && spec.ttl) {
      Add("spec", "expiresAt and ttl are mutually exclusive: set one");
    }
    if (spec.expires_at) {
      bool out_of_range = false;
      auto t = ParseRfc3339(*spec.expires_at, &out_of_range);
      if (out_of_range) {
        Add("spec.expiresAt", "\"" + *spec.expires_at + "\" is outside the times keyward can "
                              "represent (latest " + std::string(kLatestTimeText) +
                              "); omit expiresAt for a key that never expires");
      } else if (!t) {
        Add("spec.expiresAt", "\"" + *spec.expires_at +
                                  "\" is not an RFC 3339 timestamp (e.g. 2027-01-01T00:00:00Z)");
      } else if (creating_ && *t <= now_) {
        Add("spec.expiresAt", "is in the past (" + *spec.expires_at + "); a new key must expire "
                              "in the future");
      }
    }
    if (spec.ttl) {
      auto d = CheckDuration("spec.ttl", *spec.ttl, "7d, 30d, 90d, 12h, 1h30m");
      if (d && d->count() <= 0) Add("spec.ttl", "must be a positive duration");
    }
  }

  // Parses |text| as a duration of at most kLongestDuration; adds the error
  // for |path| and returns nullopt otherwise.
  std::optional<std::chrono::nanoseconds> CheckDuration(const std::string& path,
                                                        const std::string& text,
                                                        const char* examples) {
    bool too_long = false;
    auto d = ParseDuration(text, &too_long);
    if (!d && !too_long) {
      Add(path, "\"" + text + "\" is not a duration (e.g. " + examples + ")");
      return std::nullopt;
    }
    if (too_long || *d > kLongestDuration) {
      Add(path, "must be at most " + std::string(kLongestDurationText) + " (100 years)");
      return std::nullopt;
    }
    return d;
  }

  void CheckList(const std::string& path, const std::vector<std::string>& list) {
    if (list.size() > kMaxListEntries) {
      Add(path, "at most " + std::to_string(kMaxListEntries) + " entries (got " +
                    std::to_string(list.size()) + "); use a glob such as team-* instead");
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (auto err = ValidateGlob(list[i])) {
        Add(path + "[" + std::to_string(i) + "]", *err + " (\"" + list[i] + "\")");
      }
    }
  }

  void Require(const std::string& path, bool present, const char* scope, const char* what) {
    if (!present) {
      Add(path, std::string("required for scope ") + scope + ": list the " + what +
                    " the key may address");
    }
  }

  void CheckRule(const AccessRule& rule, const std::string& p) {
    const char* scope = ScopeName(rule.scope);
    CheckList(p + ".namespaces", rule.namespaces);
    CheckList(p + ".sets", rule.sets);
    CheckList(p + ".pods", rule.pods);
    CheckList(p + ".containers", rule.containers);
    if (rule.scope != Scope::kCluster) {
      Require(p + ".namespaces", !rule.namespaces.empty(), scope, "namespaces (names or globs)");
    }
    if (rule.scope == Scope::kSet) {
      Require(p + ".sets", !rule.sets.empty(), scope, "sets");
      if (!rule.set_type) {
        Add(p + ".setType", "required for scope set: one of replica, stateful, daemon, deployment");
      }
    }
    if (rule.scope != Scope::kCluster && !rule.sets.empty() && !rule.set_type) {
      if (rule.scope != Scope::kSet) {
        Add(p + ".setType", "required when sets is given: one of replica, stateful, daemon, deployment");
      }
    }
    if (rule.set_type && rule.sets.empty() && rule.scope != Scope::kSet) {
      Add(p + ".sets", "required when setType is given");
    }
    if (rule.scope == Scope::kPod) Require(p + ".pods", !rule.pods.empty(), scope, "pods");
    if (rule.scope == Scope::kContainer || rule.scope == Scope::kFilter) {
      Require(p + ".containers", !rule.containers.empty(), scope, "containers");
    }
    if (rule.scope == Scope::kFilter && rule.filter.empty()) {
      Add(p + ".filter", "required for scope filter: the log-line filter the log server must apply");
    }
    if (rule.scope != Scope::kFilter && !rule.filter.empty()) {
      Add(p + ".filter", std::string("only allowed with scope filter (scope is ") + scope + ")");
    }
    if (rule.filter.size() > 1024) Add(p + ".filter", "must be at most 1024 characters");
    if (!IsPrintableLine(rule.filter)) {
      Add(p + ".filter", std::string(kNotOnePrintableLine) + ": it is sent in the X-Keyward-Filter header");
    }
    if (rule.actions.empty()) {
      Add(p + ".actions", "must not be empty (omit it for the default [log])");
    }
    if (rule.actions.size() > kMaxActions) {
      Add(p + ".actions", "at most " + std::to_string(kMaxActions) + " actions (got " +
                              std::to_string(rule.actions.size()) + "); use \"*\" for all");
    }
    for (std::size_t i = 0; i < rule.actions.size(); ++i) {
      if (rule.actions[i] != "*" && !IsActionName(rule.actions[i])) {
        Add(p + ".actions[" + std::to_string(i) + "]",
            "\"" + rule.actions[i] +
                "\" must be lowercase letters, digits and '-' starting with a letter (log, "
                "metrics, events, ops) or \"*\"");
      }
    }
  }

  void CheckAccess(const ApiKeySpec& spec) {
    if (!spec.template_ref) {
      CheckRules(spec.access, spec.unparsed_rules, "spec.access");
      return;
    }
    if (!spec.access.empty()) Add("spec", "set exactly one of spec.access and spec.templateRef");
    if (spec.has_limits) {
      Add("spec.limits", "comes from the template when spec.templateRef is set: remove it");
    }
    if (!spec.template_ref->name.empty() && !IsDns1123Subdomain(spec.template_ref->name)) {
      Add("spec.templateRef.name", "must be a DNS-1123 subdomain (a template's name)");
    }
  }

 public:
  void CheckRules(const std::vector<AccessRule>& rules, const std::vector<std::size_t>& unparsed,
                  const std::string& path) {
    if (rules.empty()) {
      Add(path, "required: at least one access rule");
      return;
    }
    if (rules.size() > 64) Add(path, "at most 64 rules");
    for (std::size_t i = 0; i < rules.size(); ++i) {
      if (std::find(unparsed.begin(), unparsed.end(), i) != unparsed.end()) continue;
      CheckRule(rules[i], path + "[" + std::to_string(i) + "]");
    }
  }

  void CheckLimits(const Limits& limits, const std::string& path = "spec.limits") {
    const std::pair<const OptionalLimit&, const char*> all[] = {
        {limits.per_second, ".perSecond"}, {limits.per_day, ".perDay"}, {limits.per_month, ".perMonth"}};
    for (const auto& [limit, field] : all) {
      if (limit && *limit <= 0) {
        Add(path + field, "must be positive (got " + std::to_string(*limit) + "); omit it for no limit");
      }
    }
  }
  FieldErrors Take() { return std::move(errors_); }

 private:
  void CheckDelivery(const ApiKey& key) {
    const ApiKeySpec& spec = key.spec;
    bool is_volatile = spec.type == KeyType::kVolatile;
    if (spec.secret_name) {
      if (is_volatile) {
        Add("spec.secretName", "only for permanent keys: a volatile key is never stored in a Secret");
      } else if (!IsDns1123Subdomain(*spec.secret_name)) {
        Add("spec.secretName", "\"" + *spec.secret_name +
                                   "\" is not a valid Secret name: must be a DNS-1123 subdomain "
                                   "(lowercase letters, digits, '-', '.')");
      }
    } else if (!is_volatile && !key.metadata.name.empty() &&
               !IsDns1123Subdomain(EffectiveSecretName(key))) {
      Add("metadata.name", "too long to derive the Secret name <name>-apikey; set spec.secretName");
    }
    const SecretTemplate& tpl = spec.secret_template;
    bool has_template = !tpl.labels.empty() || !tpl.annotations.empty() || !tpl.data.empty();
    if (is_volatile && has_template) {
      Add("spec.secretTemplate", "only for permanent keys: a volatile key is never stored in a Secret");
    }
    CheckTemplateSize("spec.secretTemplate.labels", tpl.labels.size());
    CheckTemplateSize("spec.secretTemplate.annotations", tpl.annotations.size());
    CheckTemplateSize("spec.secretTemplate.data", tpl.data.size());
    // keyward.io/ keys on the Secret are keyward's own record (rotation
    // history, the minting time): a template must never set them.
    auto refuse_reserved = [this](const char* what, const std::map<std::string, std::string>& map) {
      for (const auto& entry : map) {
        if (IsReservedKey(entry.first)) {
          Add(std::string("spec.secretTemplate.") + what + "." + entry.first,
              "the keyward.io/ prefix is reserved for keyward's own record on the Secret; use another prefix");
        }
      }
    };
    refuse_reserved("labels", tpl.labels);
    refuse_reserved("annotations", tpl.annotations);
    for (const auto& [k, v] : tpl.labels) {
      if (!IsQualifiedName(k)) {
        Add("spec.secretTemplate.labels." + k,
            "not a valid label key: a name of at most 63 letters, digits, '-', '_' or '.' "
            "(beginning and ending with a letter or digit), optionally prefixed by a DNS "
            "subdomain and '/', e.g. team or app.kubernetes.io/name");
      }
      if (!IsLabelValue(v)) {
        Add("spec.secretTemplate.labels." + k,
            "not a valid label value (\"" + v + "\"): at most 63 letters, digits, '-', '_' "
            "or '.', beginning and ending with a letter or digit");
      }
    }
    for (const auto& [k, v] : tpl.annotations) {
      if (!IsQualifiedName(k)) {
        Add("spec.secretTemplate.annotations." + k,
            "not a valid annotation key: a name of at most 63 letters, digits, '-', '_' or "
            "'.', optionally prefixed by a DNS subdomain and '/', e.g. example.com/owner");
      }
    }
    for (const auto& [k, v] : tpl.data) {
      if (k == "key") {
        Add("spec.secretTemplate.data.key", "reserved: keyward writes the key itself to data.key");
      } else if (!IsSecretDataKey(k)) {
        Add("spec.secretTemplate.data." + k, "not a valid Secret data key ([-._a-zA-Z0-9]+)");
      }
    }
  }

  void CheckTemplateSize(const std::string& path, std::size_t n) {
    if (n > kMaxTemplateEntries) {
      Add(path, "at most " + std::to_string(kMaxTemplateEntries) + " entries (got " +
                    std::to_string(n) + ")");
    }
  }

  void CheckRotation(const ApiKeySpec& spec) {
    if (!spec.rotation || spec.rotation->every.empty()) return;
    auto every = CheckDuration("spec.rotation.every", spec.rotation->every, "30d, 12h");
    auto overlap = CheckDuration("spec.rotation.overlap", spec.rotation->overlap, "1h, 10m");
    if (every && *every < std::chrono::minutes(1)) {
      Add("spec.rotation.every", "must be at least 1m");
    }
    if (every && overlap && *overlap >= *every) {
      Add("spec.rotation.overlap", "must be shorter than spec.rotation.every");
    }
  }

  TimePoint now_;
  bool creating_;
  FieldErrors errors_;
};

}  // namespace

bool IsDns1123Label(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  if (!IsAlnumLower(s.front()) || !IsAlnumLower(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return IsAlnumLower(c) || c == '-'; });
}

bool IsDns1123Subdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  // Like Kubernetes: dot-separated labels, but no 63-character cap per label.
  std::size_t start = 0;
  while (true) {
    std::size_t dot = s.find('.', start);
    std::string_view part = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    if (part.empty() || !IsAlnumLower(part.front()) || !IsAlnumLower(part.back()) ||
        !std::all_of(part.begin(), part.end(), [](char c) { return IsAlnumLower(c) || c == '-'; })) {
      return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

bool IsQualifiedName(std::string_view s) {
  std::size_t slash = s.find('/');
  if (slash == std::string_view::npos) return IsQualifiedNamePart(s);
  std::string_view prefix = s.substr(0, slash);
  return IsDns1123Subdomain(prefix) && IsQualifiedNamePart(s.substr(slash + 1));
}

bool IsLabelValue(std::string_view s) { return s.empty() || IsQualifiedNamePart(s); }

bool IsSecretDataKeyName(std::string_view s) { return IsSecretDataKey(s); }

FieldErrors ValidateApiKey(const ApiKey& key, TimePoint now, bool creating) {
  return Validator(now, creating).Run(key);
}

FieldErrors ValidateRules(const std::vector<AccessRule>& rules,
                          const std::vector<std::size_t>& unparsed, const std::string& path) {
  Validator v(TimePoint{}, false);
  v.CheckRules(rules, unparsed, path);
  return v.Take();
}

FieldErrors ValidateLimits(const Limits& limits, const std::string& path) {
  Validator v(TimePoint{}, false);
  v.CheckLimits(limits, path);
  return v.Take();
}

FieldErrors ValidateApiKeyUpdate(const ApiKey& old_key, const ApiKey& new_key) {
  FieldErrors errors;
  if (old_key.spec.type != new_key.spec.type) {
    errors.push_back({"spec.type", std::string("is immutable (was ") +
                                       KeyTypeName(old_key.spec.type) +
                                       "): delete and recreate the ApiKey to change it"});
  }
  return errors;
}

FieldErrors CheckApiKeyObject(const web::json::value& object, TimePoint now, bool creating) {
  FieldErrors errors;
  ApiKey key = ParseApiKey(object, &errors);
  FieldErrors semantic = ValidateApiKey(key, now, creating);
  errors.insert(errors.end(), semantic.begin(), semantic.end());
  return errors;
}

std::optional<TimePoint> EffectiveExpiry(const ApiKeySpec& spec, TimePoint created) {
  if (spec.expires_at) return ParseRfc3339(*spec.expires_at);
  if (spec.ttl) {
    auto d = ParseDuration(*spec.ttl);
    if (d) return AddSaturating(created, *d);
  }
  return std::nullopt;
}

}  // namespace keyward
