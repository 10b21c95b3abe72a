#include <gtest/gtest.h>

#include "api/apikey.h"
#include "api/manifest.h"
#include "api/validation.h"

namespace keyward {
namespace {

const TimePoint kNow = *ParseRfc3339("2026-11-22T12:00:00Z");

web::json::value Yaml(const std::string& text) {
  ManifestLoad load;
  ParseManifestText(text, "test.yaml", &load);
  EXPECT_TRUE(load.errors.empty());
  return load.documents.at(0).object;
}

std::string Manifest(const std::string& spec_body) {
  return "apiVersion: keyward.io/v1alpha1\nkind: ApiKey\nmetadata: {name: k, namespace: ns}\n"
         "spec:\n" + spec_body;
}

const std::string kValidSpec =
    "  description: test key\n"
    "  access:\n"
    "  - scope: namespace\n"
    "    namespaces: [prod]\n";

FieldErrors Check(const std::string& spec_body, bool creating = true) {
  return CheckApiKeyObject(Yaml(Manifest(spec_body)), kNow, creating);
}

// Asserts exactly one error at |path| whose reason contains |fragment|.
void ExpectOneError(const std::string& spec_body, const std::string& path,
                    const std::string& fragment) {
  FieldErrors errors = Check(spec_body);
  ASSERT_EQ(errors.size(), 1u) << spec_body << (errors.empty() ? "" : errors[0].String());
  EXPECT_EQ(errors[0].path, path);
  EXPECT_NE(errors[0].reason.find(fragment), std::string::npos) << errors[0].String();
}

TEST(ParseApiKey, DefaultsAndFields) {
  FieldErrors errors;
  ApiKey key = ParseApiKey(Yaml(Manifest(kValidSpec)), &errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(key.metadata.name, "k");
  EXPECT_EQ(key.spec.type, KeyType::kPermanent);
  EXPECT_FALSE(key.spec.disabled);
  ASSERT_EQ(key.spec.access.size(), 1u);
  EXPECT_EQ(key.spec.access[0].actions, std::vector<std::string>{"log"});
  EXPECT_EQ(EffectiveSecretName(key), "k-apikey");
}

TEST(ParseApiKey, JsonInputWorksToo) {
  auto obj = web::json::value::parse(
      R"({"apiVersion":"keyward.io/v1alpha1","kind":"ApiKey","metadata":{"name":"j"},
          "spec":{"description":"d","type":"volatile","ttl":"1h",
                  "access":[{"scope":"cluster","actions":["*"]}]}})");
  EXPECT_TRUE(CheckApiKeyObject(obj, kNow, true).empty());
}

TEST(Validate, AcceptsEveryScopeWithItsLists) {
  EXPECT_TRUE(Check(kValidSpec).empty());
  EXPECT_TRUE(Check("  description: d\n  access: [{scope: cluster}]\n").empty());
  EXPECT_TRUE(Check("  description: d\n  access: [{scope: set, namespaces: [p], setType: "
                    "stateful, sets: [db]}]\n").empty());
  EXPECT_TRUE(Check("  description: d\n  access: [{scope: pod, namespaces: [p], pods: "
                    "['api-*']}]\n").empty());
  EXPECT_TRUE(Check("  description: d\n  access: [{scope: container, namespaces: [p], "
                    "containers: [nginx]}]\n").empty());
  EXPECT_TRUE(Check("  description: d\n  access: [{scope: filter, namespaces: [p], "
                    "containers: [app], filter: 'level=error'}]\n").empty());
}

TEST(Validate, RequiredFields) {
  ExpectOneError("  access: [{scope: cluster}]\n", "spec.description", "required");
  ExpectOneError("  description: d\n", "spec.access", "at least one");
  ExpectOneError("  description: ''\n  access: [{scope: cluster}]\n", "spec.description",
                 "required");
  ExpectOneError("  description: d\n  access: [{namespaces: [a]}]\n", "spec.access[0].scope",
                 "required");
  FieldErrors no_name = CheckApiKeyObject(
      Yaml("apiVersion: keyward.io/v1alpha1\nkind: ApiKey\nspec: {description: d, access: "
           "[{scope: cluster}]}\n"),
      kNow, true);
  ASSERT_EQ(no_name.size(), 1u);
  EXPECT_EQ(no_name[0].path, "metadata.name");
}

TEST(Validate, DescriptionLengthCountsCharacters) {
  ExpectOneError("  description: " + std::string(257, 'x') + "\n  access: [{scope: cluster}]\n",
                 "spec.description", "at most 256");
  EXPECT_TRUE(Check("  description: \"" + std::string(128, 'x') +
                    std::string(128 / 2, 'x') + "\"\n  access: [{scope: cluster}]\n").empty());
  // 256 two-byte characters are fine.
  std::string umlauts;
  for (int i = 0; i < 256; ++i) umlauts += "\xC3\xA4";
  EXPECT_TRUE(Check("  description: " + umlauts + "\n  access: [{scope: cluster}]\n").empty());
}

TEST(Validate, TypeAndEnums) {
  ExpectOneError("  type: temporary\n" + kValidSpec, "spec.type", "unsupported value");
  ExpectOneError("  description: d\n  access: [{scope: galaxy}]\n", "spec.access[0].scope",
                 "want one of");
  ExpectOneError("  description: d\n  access: [{scope: set, namespaces: [a], setType: job, sets: "
                 "[x]}]\n",
                 "spec.access[0].setType", "unsupported value");
}

TEST(Validate, ExpiryRules) {
  ExpectOneError("  expiresAt: '2027-01-01T00:00:00Z'\n  ttl: 30d\n" + kValidSpec, "spec",
                 "mutually exclusive");
  ExpectOneError("  expiresAt: '2020-01-01T00:00:00Z'\n" + kValidSpec, "spec.expiresAt",
                 "in the past");
  ExpectOneError("  expiresAt: next tuesday\n" + kValidSpec, "spec.expiresAt", "RFC 3339");
  ExpectOneError("  ttl: forever\n" + kValidSpec, "spec.ttl", "not a duration");
  ExpectOneError("  ttl: 0s\n" + kValidSpec, "spec.ttl", "positive");
  for (const char* ttl : {"7d", "30d", "60d", "90d", "180d", "365d", "12h", "1h30m"}) {
    EXPECT_TRUE(Check(std::string("  ttl: ") + ttl + "\n" + kValidSpec).empty()) << ttl;
  }
  // A past expiresAt is only refused at creation; updates of old keys pass.
  EXPECT_TRUE(CheckApiKeyObject(Yaml(Manifest("  expiresAt: '2020-01-01T00:00:00Z'\n" + kValidSpec)),
                                kNow, false)
                  .empty());
}

TEST(Validate, ScopeNeedsItsLists) {
  ExpectOneError("  description: d\n  access: [{scope: namespace}]\n",
                 "spec.access[0].namespaces", "required for scope namespace");
  ExpectOneError("  description: d\n  access: [{scope: set, namespaces: [a], sets: [b]}]\n",
                 "spec.access[0].setType", "required");
  ExpectOneError("  description: d\n  access: [{scope: set, namespaces: [a], setType: replica}]\n",
                 "spec.access[0].sets", "required");
  ExpectOneError("  description: d\n  access: [{scope: pod, namespaces: [a]}]\n",
                 "spec.access[0].pods", "required");
  ExpectOneError("  description: d\n  access: [{scope: container, namespaces: [a]}]\n",
                 "spec.access[0].containers", "required");
  ExpectOneError("  description: d\n  access: [{scope: filter, namespaces: [a], containers: "
                 "[c]}]\n",
                 "spec.access[0].filter", "required");
  ExpectOneError("  description: d\n  access: [{scope: namespace, namespaces: [a], filter: x}]\n",
                 "spec.access[0].filter", "only allowed with scope filter");
}

TEST(Validate, GlobsAndActions) {
  ExpectOneError("  description: d\n  access: [{scope: namespace, namespaces: [ok, '^prod$']}]\n",
                 "spec.access[0].namespaces[1]", "invalid glob");
  ExpectOneError("  description: d\n  access: [{scope: namespace, namespaces: ['[abc']}]\n",
                 "spec.access[0].namespaces[0]", "unclosed");
  ExpectOneError("  description: d\n  access: [{scope: namespace, namespaces: [a], actions: "
                 "[Log]}]\n",
                 "spec.access[0].actions[0]", "lowercase");
  ExpectOneError("  description: d\n  access: [{scope: namespace, namespaces: [a], actions: []}]\n",
                 "spec.access[0].actions", "must not be empty");
  EXPECT_TRUE(Check("  description: d\n  access: [{scope: namespace, namespaces: [a], actions: "
                    "[log, metrics, ops-read, '*']}]\n").empty());
}

TEST(Validate, TimesBeyondWhatCanBeRepresentedNameTheField) {
  ExpectOneError("  ttl: 100000d\n" + kValidSpec, "spec.ttl", "at most 36500d");
  ExpectOneError("  ttl: 1000000d\n" + kValidSpec, "spec.ttl", "at most 36500d");
  ExpectOneError("  ttl: 36500d1s\n" + kValidSpec, "spec.ttl", "at most 36500d");
  EXPECT_TRUE(Check("  ttl: 36500d\n" + kValidSpec).empty());
  ExpectOneError("  rotation: {every: 100000d}\n" + kValidSpec, "spec.rotation.every",
                 "at most 36500d");
  ExpectOneError("  rotation: {every: 1h, overlap: 99999999d}\n" + kValidSpec,
                 "spec.rotation.overlap", "at most 36500d");
  for (const char* far : {"2300-01-01T00:00:00Z", "9999-12-31T23:59:59Z"}) {
    // Not "in the past" (the wrapped value was): out of range, said so.
    ExpectOneError(std::string("  expiresAt: '") + far + "'\n" + kValidSpec, "spec.expiresAt",
                   "outside the times keyward can represent");
  }
  EXPECT_TRUE(Check("  expiresAt: '2261-12-31T23:59:59Z'\n" + kValidSpec).empty());
  // The expiry of a key with the longest ttl, created at the end of time, is
  // clamped rather than wrapped into the past.
  ApiKeySpec spec;
  spec.ttl = "36500d";
  EXPECT_EQ(EffectiveExpiry(spec, TimePoint::max() - std::chrono::hours(1)), TimePoint::max());
}

TEST(Validate, LimitsDeliveryAndRotation) {
  ExpectOneError("  limits: {perSecond: 0}\n" + kValidSpec, "spec.limits.perSecond",
                 "must be positive");
  ExpectOneError("  limits: {perDay: -5}\n" + kValidSpec, "spec.limits.perDay", "must be positive");
  ExpectOneError("  limits: {perMonth: lots}\n" + kValidSpec, "spec.limits.perMonth",
                 "must be an integer");
  ExpectOneError("  secretName: Bad_Name\n" + kValidSpec, "spec.secretName", "DNS-1123");
  ExpectOneError("  type: volatile\n  secretName: x\n" + kValidSpec, "spec.secretName",
                 "only for permanent");
  ExpectOneError("  secretTemplate: {data: {key: x}}\n" + kValidSpec,
                 "spec.secretTemplate.data.key", "reserved");
  ExpectOneError("  rotation: {every: soon}\n" + kValidSpec, "spec.rotation.every",
                 "not a duration");
  ExpectOneError("  rotation: {every: 1h, overlap: 2h}\n" + kValidSpec, "spec.rotation.overlap",
                 "shorter");
  ExpectOneError("  rotation: {overlap: 2h}\n" + kValidSpec, "spec.rotation.every", "required");
  EXPECT_TRUE(Check("  rotation: {every: 30d, overlap: 1h}\n  limits: {perSecond: 5, perDay: "
                    "10, perMonth: 100}\n  secretName: my-key\n  secretTemplate: {labels: {a: b}, "
                    "data: {url: 'https://x'}}\n" + kValidSpec).empty());
}

// Flow list of n distinct names: [n0, n1, ...].
std::string NameList(int n, const std::string& prefix) {
  std::string out = "[";
  for (int i = 0; i < n; ++i) out += (i ? ", " : "") + prefix + std::to_string(i);
  return out + "]";
}

TEST(Validate, ListAndTemplateCapsMatchTheCrd) {
  std::string rule = "  description: d\n  access:\n  - scope: namespace\n";
  EXPECT_TRUE(Check(rule + "    namespaces: " + NameList(64, "ns") + "\n").empty());
  ExpectOneError(rule + "    namespaces: " + NameList(65, "ns") + "\n",
                 "spec.access[0].namespaces", "at most 64 entries (got 65)");
  ExpectOneError(rule + "    namespaces: [a]\n    actions: " + NameList(33, "a") + "\n",
                 "spec.access[0].actions", "at most 32 actions");
  std::string labels = "{";
  for (int i = 0; i < 65; ++i) labels += (i ? ", " : "") + ("l" + std::to_string(i)) + ": v";
  labels += "}";
  ExpectOneError("  secretTemplate: {labels: " + labels + "}\n" + kValidSpec,
                 "spec.secretTemplate.labels", "at most 64 entries (got 65)");
}

TEST(Validate, TemplateLabelAndAnnotationSyntax) {
  EXPECT_TRUE(Check("  secretTemplate:\n    labels: {app.kubernetes.io/name: web, team: a_b.c, "
                    "empty: ''}\n    annotations: {example.com/owner: 'any text / at all'}\n" +
                    kValidSpec).empty());
  ExpectOneError("  secretTemplate: {labels: {'bad key': v}}\n" + kValidSpec,
                 "spec.secretTemplate.labels.bad key", "not a valid label key");
  ExpectOneError("  secretTemplate: {labels: {'Example.com/x': v}}\n" + kValidSpec,
                 "spec.secretTemplate.labels.Example.com/x", "not a valid label key");
  ExpectOneError("  secretTemplate: {labels: {team: '-x'}}\n" + kValidSpec,
                 "spec.secretTemplate.labels.team", "not a valid label value");
  ExpectOneError("  secretTemplate: {labels: {team: " + std::string(64, 'a') + "}}\n" +
                     kValidSpec,
                 "spec.secretTemplate.labels.team", "not a valid label value");
  ExpectOneError("  secretTemplate: {annotations: {'a/b/c': v}}\n" + kValidSpec,
                 "spec.secretTemplate.annotations.a/b/c", "not a valid annotation key");
  EXPECT_TRUE(IsQualifiedName(std::string(63, 'a')));
  EXPECT_FALSE(IsQualifiedName(std::string(64, 'a')));
  EXPECT_FALSE(IsQualifiedName("/name"));
  EXPECT_FALSE(IsQualifiedName("prefix/"));
  EXPECT_TRUE(IsLabelValue(""));
}

TEST(Validate, KeywardPrefixIsReservedInTheSecretTemplate) {
  ExpectOneError("  secretTemplate: {annotations: {keyward.io/previous-key-hash: 'hmac-sha256:x:y'}}\n" +
                     kValidSpec,
                 "spec.secretTemplate.annotations.keyward.io/previous-key-hash", "keyward.io/ prefix is reserved");
  ExpectOneError("  secretTemplate: {labels: {rotation.keyward.io/x: v}}\n" + kValidSpec,
                 "spec.secretTemplate.labels.rotation.keyward.io/x", "reserved");
  EXPECT_TRUE(Check("  secretTemplate: {annotations: {notkeyward.io/x: v, example.com/keyward.io: v}}\n" +
                    kValidSpec).empty());
  // What a key issued from a request carries (the template's field notes).
  EXPECT_TRUE(Check("  secretTemplate: {annotations: {keyward.io/fields: '[]'}}\n" + kValidSpec).empty());
}

TEST(Validate, TextThatReachesHeadersIsOnePrintableLine) {
  ExpectOneError("  description: \"two\\r\\nlines\"\n  access: [{scope: cluster}]\n", "spec.description",
                 "single line of printable characters");
  ExpectOneError("  description: \"tab\\there\"\n  access: [{scope: cluster}]\n", "spec.description",
                 "single line");
  ExpectOneError("  description: d\n  access:\n  - {scope: filter, namespaces: [prod], containers: [app], "
                 "filter: \"x\\r\\nRemote-User: admin\"}\n",
                 "spec.access[0].filter", "X-Keyward-Filter header");
  EXPECT_TRUE(Check("  description: d\n  access:\n  - {scope: filter, namespaces: [prod], containers: [app], "
                    "filter: 'level=error \xC3\xA4'}\n").empty());
  EXPECT_TRUE(IsPrintableLine("caf\xC3\xA9 ok"));
  EXPECT_FALSE(IsPrintableLine(std::string("nul\0", 4)));
  EXPECT_FALSE(IsPrintableLine("del\x7f"));
}

TEST(Validate, UnknownFieldsAndWrongTypes) {
  ExpectOneError("  description: d\n  access: [{scope: namespace, namespace: [a], namespaces: "
                 "[a]}]\n",
                 "spec.access[0].namespace", "unknown field");
  ExpectOneError("  disabled: 'yes'\n" + kValidSpec, "spec.disabled", "true or false");
  ExpectOneError("  description: 5\n  access: [{scope: cluster}]\n", "spec.description",
                 "must be a string");
}

TEST(ValidateUpdate, TypeIsImmutable) {
  FieldErrors ignored;
  ApiKey before = ParseApiKey(Yaml(Manifest(kValidSpec)), &ignored);
  ApiKey after = ParseApiKey(Yaml(Manifest("  type: volatile\n" + kValidSpec)), &ignored);
  FieldErrors errors = ValidateApiKeyUpdate(before, after);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, "spec.type");
  EXPECT_NE(errors[0].reason.find("immutable"), std::string::npos);
  EXPECT_TRUE(ValidateApiKeyUpdate(before, before).empty());
}

TEST(EffectiveExpiry, FromExpiresAtOrTtl) {
  ApiKeySpec spec;
  EXPECT_FALSE(EffectiveExpiry(spec, kNow));
  spec.ttl = "1h";
  EXPECT_EQ(EffectiveExpiry(spec, kNow), kNow + std::chrono::hours(1));
  spec.ttl.reset();
  spec.expires_at = "2027-01-01T00:00:00Z";
  EXPECT_EQ(EffectiveExpiry(spec, kNow), ParseRfc3339("2027-01-01T00:00:00Z"));
}

TEST(Dns1123, SubdomainAndLabel) {
  EXPECT_TRUE(IsDns1123Subdomain("a.b-c.d"));
  EXPECT_FALSE(IsDns1123Subdomain("A"));
  EXPECT_FALSE(IsDns1123Subdomain("-a"));
  EXPECT_FALSE(IsDns1123Subdomain("a..b"));
  EXPECT_FALSE(IsDns1123Subdomain(std::string(254, 'a')));
  EXPECT_TRUE(IsDns1123Subdomain(std::string(100, 'a')));  // no per-label cap, as in Kubernetes
  EXPECT_TRUE(IsDns1123Label(std::string(63, 'a')));
  EXPECT_FALSE(IsDns1123Label(std::string(64, 'a')));
}

}  // namespace
}  // namespace keyward
