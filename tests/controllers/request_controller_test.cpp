// ApiKeyRequests over a fake API server: pending, automatic approval, issue
// with the template's rules, lifetime and fields; denial issues nothing. And
// keys that use a template: its rules live, a missing template said so.
#include "controllers/request_controller.h"

#include <gtest/gtest.h>

#include "controllers/controller_harness.h"
#include "kube/json_fields.h"

namespace keyward {
namespace {

ResourcePath RequestPath(const std::string& name) {
  return {"keyward.io/v1alpha1", "apikeyrequests", "team-a", name, ""};
}

value TemplateObject(const std::string& approval, const std::string& ns_rule = "team-a") {
  return value::parse(R"({"apiVersion":"keyward.io/v1alpha1","kind":"ApiKeyTemplate",
    "metadata":{"name":"logs-reader","namespace":"team-a"},
    "spec":{"description":"read team-a logs","access":[{"scope":"namespace","namespaces":[")" + ns_rule + R"("]}],
      "lifetimes":{"allowed":["7d","30d","1y"],"default":"30d"},
      "fields":[{"name":"endpoint","description":"where","value":"https://logs.example"}],
      "approval":")" + approval + R"("}})");
}

struct RequestHarness {
  FakeKubeClient kube;
  FakeEvents events;
  value tpl;
  std::unique_ptr<RequestController> controller;
  value cached;  // what the watch cache holds, when it lags the API server
  TimePoint now = *ParseRfc3339("2026-11-22T12:00:00Z");

  explicit RequestHarness(const std::string& approval) : tpl(TemplateObject(approval)) {
    RequestControllerEnv env;
    env.kube = &kube;
    env.events = &events;
    env.now = [this] { return now; };
    env.get_request = [this](const std::string& key) -> ObjectPtr {
      if (!cached.is_null()) return std::make_shared<const value>(cached);
      value v = kube.Object(RequestPath(key.substr(key.find('/') + 1)));
      return v.is_null() ? nullptr : std::make_shared<const value>(v);
    };
    env.templates = [this](const std::string&, const TemplateRef& ref) -> std::optional<ApiKeyTemplate> {
      if (tpl.is_null() || ref.name != "logs-reader") return std::nullopt;
      FieldErrors errors;
      return ParseApiKeyTemplate(tpl, &errors);
    };
    controller = std::make_unique<RequestController>(env);
  }

  void Request(const std::string& name, const std::string& lifetime = "") {
    value r = value::parse(R"({"apiVersion":"keyward.io/v1alpha1","kind":"ApiKeyRequest",
      "metadata":{"name":")" + name + R"(","namespace":"team-a","uid":"req-uid","generation":1,
        "annotations":{"keyward.io/requested-by":"bob"}},
      "spec":{"templateRef":{"name":"logs-reader"},"reason":"grafana"}})");
    if (!lifetime.empty()) r["spec"]["lifetime"] = value::string(lifetime);
    kube.Put(RequestPath(name), r);
  }
  void Decide(const std::string& name, const char* type) {
    value r = kube.Object(RequestPath(name));
    value c;
    c["type"] = value::string(type);
    c["status"] = value::string("True");
    r["status"]["conditions"][r["status"]["conditions"].is_array() ? r["status"]["conditions"].size() : 0] = c;
    kube.Put(RequestPath(name), r);
  }
  Action Reconcile(const std::string& name) { return controller->Reconcile("team-a/" + name); }
  std::string Condition(const std::string& name, const std::string& type, const char* field = "reason") {
    const value obj = kube.Object(RequestPath(name));
    for (const value& c : JsonArray(obj, {"status", "conditions"})) {
      if (JsonStringOr(c, {"type"}) == type) return JsonStringOr(c, {field});
    }
    return "";
  }
};

TEST(RequestController, ManualRequestWaitsForApproval) {
  RequestHarness h("Manual");
  h.Request("grafana");
  h.Reconcile("grafana");
  EXPECT_EQ(h.Condition("grafana", "Issued"), "Pending");
  EXPECT_EQ(JsonStringOr(h.kube.Object(RequestPath("grafana")), {"status", "phase"}), "Pending");
  EXPECT_NE(h.Condition("grafana", "Issued", "message").find("keyward approve -n team-a grafana"), std::string::npos);
  EXPECT_EQ(JsonStringOr(h.kube.Object(RequestPath("grafana")), {"status", "requestedBy"}), "bob");
  EXPECT_FALSE(h.kube.Has(ApiKeyPath("grafana")));
}

TEST(RequestController, ApprovedRequestIssuesAKeyOfTheTemplate) {
  RequestHarness h("Manual");
  h.Request("grafana", "1y");
  h.Reconcile("grafana");
  h.Decide("grafana", kApproved);
  h.Reconcile("grafana");
  value key = h.kube.Object(ApiKeyPath("grafana"));
  ASSERT_FALSE(key.is_null());
  EXPECT_EQ(JsonStringOr(key, {"spec", "templateRef", "name"}), "logs-reader");
  EXPECT_EQ(JsonStringOr(key, {"spec", "ttl"}), "365d");
  EXPECT_FALSE(JsonAt(key, {"spec", "access"}));
  EXPECT_EQ(JsonStringOr(key, {"spec", "secretTemplate", "data", "endpoint"}), "https://logs.example");
  EXPECT_EQ(JsonStringOr(key, {"metadata", "annotations", "keyward.io/requested-by"}), "bob");
  EXPECT_EQ(JsonStringOr(JsonArray(key, {"metadata", "ownerReferences"}).at(0), {"uid"}), "req-uid");
  EXPECT_EQ(h.Condition("grafana", "Issued"), "Issued");
  EXPECT_EQ(JsonStringOr(h.kube.Object(RequestPath("grafana")), {"status", "phase"}), "Issued");
  EXPECT_EQ(JsonStringOr(h.kube.Object(RequestPath("grafana")), {"status", "apiKeyRef", "name"}), "grafana");
  EXPECT_EQ(h.events.reasons.back(), "Issued");
  // Issued once: another pass creates nothing more.
  int creates = h.kube.CountCalls("create");
  h.Reconcile("grafana");
  EXPECT_EQ(h.kube.CountCalls("create"), creates);
}

TEST(RequestController, DeniedRequestIssuesNothing) {
  RequestHarness h("Manual");
  h.Request("grafana");
  h.Decide("grafana", kDenied);
  h.Reconcile("grafana");
  EXPECT_FALSE(h.kube.Has(ApiKeyPath("grafana")));
  EXPECT_EQ(h.Condition("grafana", "Issued"), "Denied");
  EXPECT_EQ(JsonStringOr(h.kube.Object(RequestPath("grafana")), {"status", "phase"}), "Denied");
  EXPECT_EQ(h.events.reasons.back(), "Denied");
  EXPECT_EQ(h.kube.CountCalls("create"), 0);
}

TEST(RequestController, ARequestIssuedBeforeThePhaseExistedGetsItOnce) {
  RequestHarness h("Manual");
  h.Request("old");
  h.Decide("old", kApproved);
  h.Decide("old", kIssued);
  h.Reconcile("old");
  EXPECT_EQ(JsonStringOr(h.kube.Object(RequestPath("old")), {"status", "phase"}), "Issued");
  EXPECT_FALSE(h.kube.Has(ApiKeyPath("old")));  // issued already: nothing is created again
  int patches = h.kube.CountCalls("patch");
  h.Reconcile("old");
  EXPECT_EQ(h.kube.CountCalls("patch"), patches);
}

TEST(RequestController, AStatusWriteNeverErasesADecisionMadeMeanwhile) {
  RequestHarness h("Manual");
  h.Request("grafana");
  h.cached = h.kube.Object(RequestPath("grafana"));  // the cache has not seen what follows
  h.Decide("grafana", kApproved);
  Action a = h.Reconcile("grafana");  // from the stale cache: it would write Issued=Pending
  EXPECT_TRUE(a.failed());
  EXPECT_EQ(h.Condition("grafana", kApproved, "status"), "True") << "the approval was erased";
  // The watch catches up: the approval is read and the key issued.
  h.cached = value();
  h.Reconcile("grafana");
  EXPECT_TRUE(h.kube.Has(ApiKeyPath("grafana")));
  EXPECT_EQ(h.Condition("grafana", kApproved, "status"), "True");
}

TEST(RequestPhase, FollowsTheConditions) {
  ApiKeyRequestStatus s;
  EXPECT_STREQ(RequestPhase(s), "Pending");
  s.conditions.push_back({kApproved, "True", "", "", "", 0});
  EXPECT_STREQ(RequestPhase(s), "Approved");
  s.conditions.push_back({kIssued, "False", "IssueFailed", "", "", 0});
  EXPECT_STREQ(RequestPhase(s), "Approved");
  s.conditions.back().status = "True";
  EXPECT_STREQ(RequestPhase(s), "Issued");
  ApiKeyRequestStatus denied;
  denied.conditions.push_back({kDenied, "True", "", "", "", 0});
  denied.conditions.push_back({kIssued, "False", "Denied", "", "", 0});
  EXPECT_STREQ(RequestPhase(denied), "Denied");
}

TEST(RequestController, AutomaticTemplateApprovesThenIssues) {
  RequestHarness h("Automatic");
  h.Request("ci");
  h.Reconcile("ci");
  EXPECT_EQ(h.Condition("ci", "Approved"), "AutoApproved");
  h.Reconcile("ci");  // the watch brings the approval back
  EXPECT_TRUE(h.kube.Has(ApiKeyPath("ci")));
  EXPECT_EQ(h.Condition("ci", "Issued"), "Issued");
}

TEST(RequestController, AKeyOfThatNameNotIssuedByTheRequestIsNotTaken) {
  RequestHarness h("Automatic");
  h.kube.Put(ApiKeyPath("ci"), value::parse(R"({"metadata":{"name":"ci","namespace":"team-a","uid":"other"}})"));
  h.Request("ci");
  h.Decide("ci", kApproved);
  h.Reconcile("ci");
  EXPECT_EQ(h.Condition("ci", "Issued"), "NameTaken");
}

TEST(RequestController, ARefusedIssueIsSaidAndRetried) {
  RequestHarness h("Automatic");
  h.Request("ci");
  h.Decide("ci", kApproved);
  h.kube.FailNext("create", KubeStatus{403, "Forbidden", "namespace team-a has 100 ApiKeys; the limit is 100"});
  Action a = h.Reconcile("ci");
  EXPECT_TRUE(a.failed());
  EXPECT_EQ(h.Condition("ci", "Issued"), "IssueFailed");
  EXPECT_NE(h.Condition("ci", "Issued", "message").find("the limit is 100"), std::string::npos);
  h.Reconcile("ci");  // the retry
  EXPECT_EQ(h.Condition("ci", "Issued"), "Issued");
}

// A long non-ASCII template description is cut to 256 bytes on a character
// boundary: the issued ApiKey stays valid UTF-8 (the API server refuses
// anything else, and the request would never be issued).
TEST(RequestController, AnIssuedDescriptionIsCutOnACharacterBoundary) {
  RequestHarness h("Manual");
  std::string long_text;
  for (int i = 0; i < 200; ++i) long_text += "\xC3\xA9";  // é
  h.tpl["spec"]["description"] = value::string(long_text);
  FieldErrors errors;
  ApiKeyRequest req = ParseApiKeyRequest(value::parse(R"({"metadata":{"name":"r","namespace":"team-a"},
      "spec":{"templateRef":{"name":"logs-reader"}}})"), &errors);
  ApiKeyTemplate tpl = ParseApiKeyTemplate(h.tpl, &errors);
  std::string cut = IssuedApiKey(req, tpl, "30d").at("spec").at("description").as_string();
  EXPECT_LE(cut.size(), 256u);
  EXPECT_GE(cut.size(), 250u);
  EXPECT_EQ(cut.size() % 2, 0u) << "a character was cut in half";
  EXPECT_EQ(static_cast<unsigned char>(cut.back()), 0xA9);
}

TEST(RequestController, MissingTemplateIsSaid) {
  RequestHarness h("Manual");
  h.tpl = value::null();
  h.Request("grafana");
  Action a = h.Reconcile("grafana");
  EXPECT_EQ(a.kind(), Action::Kind::kRequeue);
  EXPECT_EQ(h.Condition("grafana", "Issued"), "TemplateNotFound");
}

TEST(TemplateKeys, TheTemplateIsTheKeysRoleLive) {
  std::optional<value> tpl = TemplateObject("Manual", "prod");
  Harness h([&](ControllerEnv& env) {
    env.templates = [&](const std::string&, const TemplateRef&) -> std::optional<ApiKeyTemplate> {
      if (!tpl) return std::nullopt;
      FieldErrors errors;
      return ParseApiKeyTemplate(*tpl, &errors);
    };
  });
  h.Apply("k", "  description: from a template\n  templateRef: {name: logs-reader}\n");
  Action first = h.Reconcile("k");
  ASSERT_FALSE(first.failed()) << first.error();
  ASSERT_EQ(JsonStringOr(h.Status("k"), {"phase"}), "Active");
  const std::string key = h.SecretKey("k-apikey");
  AccessTarget target;
  target.namespace_name = "prod";
  auto found = h.index.Lookup(key, h.now);
  ASSERT_EQ(found.status, LookupStatus::kFound);
  EXPECT_TRUE(Decide(found.policy->policy, target).allowed);
  // The template changes: the next reconcile (its watch enqueues the key)
  // gives the key the new rules, the key itself unchanged.
  tpl = TemplateObject("Manual", "staging");
  h.Reconcile("k");
  found = h.index.Lookup(key, h.now);
  EXPECT_FALSE(Decide(found.policy->policy, target).allowed);
  target.namespace_name = "staging";
  EXPECT_TRUE(Decide(found.policy->policy, target).allowed);
  // Gone: the key allows nothing and says why.
  tpl.reset();
  h.Reconcile("k");
  EXPECT_EQ(h.index.Lookup(key, h.now).status, LookupStatus::kUnknown);
  EXPECT_EQ(JsonStringOr(h.Status("k"), {"phase"}), "Pending");
  EXPECT_EQ(h.events.reasons.back(), "TemplateNotFound");
}

}  // namespace
}  // namespace keyward
