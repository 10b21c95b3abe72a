// ApiKeyTemplate and ClusterApiKeyTemplate (keyward.io/v1alpha1): a kind of
// key users request — rules, limits, lifetimes, fields, approval, price.
#pragma once
#include <cpprest/json.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "api/apikey.h"
#include "api/field_error.h"

namespace keyward {

inline constexpr const char* kNeverLifetime = "never";

// Delivered into the issued key's Secret as data.<name> = value.
struct TemplateField {
  std::string name, description, value;
};

// A decimal amount per counted request, e.g. {"0.002", "EUR"}.
struct Price {
  std::string per_request, currency;
};

struct ApiKeyTemplateSpec {
  std::string description;
  KeyType type = KeyType::kPermanent;
  std::vector<AccessRule> access;
  std::vector<std::size_t> unparsed_rules;
  Limits limits;
  std::vector<std::string> allowed_lifetimes;  // "never" or a duration (7d, 1y)
  std::string default_lifetime;                 // "": the first allowed one
  std::vector<TemplateField> fields;
  bool automatic_approval = false;
  std::optional<Price> price;
};

struct ApiKeyTemplate {
  std::string kind = kTemplateKind;  // or kClusterTemplateKind
  ObjectMeta metadata;
  ApiKeyTemplateSpec spec;
  TemplateRef Ref() const { return {kind, metadata.name}; }
};

// Reads either kind; errors carry field paths, as for ApiKey.
ApiKeyTemplate ParseApiKeyTemplate(const web::json::value& object, FieldErrors* errors);
// Parse + every check (rules as for ApiKey, lifetimes, fields, price).
FieldErrors CheckApiKeyTemplateObject(const web::json::value& object);

// The lifetime a request for |spec| gets when it asks for |asked| ("" =
// the default); nullopt when the template does not allow it.
std::optional<std::string> ChosenLifetime(const ApiKeyTemplateSpec& spec, const std::string& asked);
// An ApiKey's spec.ttl for |lifetime| ("1y" -> "365d"); nullopt for never
// or text that is not a lifetime.
std::optional<std::string> LifetimeTtl(const std::string& lifetime);
bool IsLifetime(const std::string& text);

// |requests| x |price| as a decimal text ("0.006"); nullopt when the price
// is not a decimal of at most 12 + 9 digits.
std::optional<std::string> CostOf(std::int64_t requests, const std::string& per_request);

// Where a template is looked up: |ns| is the ApiKey's or request's
// namespace (ignored for ClusterApiKeyTemplates).
using TemplateLookup =
    std::function<std::optional<ApiKeyTemplate>(const std::string& ns, const TemplateRef& ref)>;

}  // namespace keyward
