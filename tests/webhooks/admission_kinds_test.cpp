// Admission of templates and requests: approval needs `approve` on the
// template (SubjectAccessReview), decisions stay, requester stamped.
#include "webhooks/admission_kinds.h"

#include <gtest/gtest.h>

#include <set>

#include "api/apikey_template.h"
#include "base/base64.h"
#include "kube/json_fields.h"

namespace keyward {
namespace {

using web::json::value;

struct FakeApprovers : AdmissionReviewer {
  std::set<std::string> approvers, readers;
  std::vector<std::string> asked;
  Result<bool> May(const value& user, const AccessReview&) override {
    return readers.count(JsonStringOr(user, {"username"})) > 0;
  }
  Result<bool> MayApprove(const value& user, const TemplateRef& tpl, const std::string& ns) override {
    asked.push_back(tpl.kind + "/" + ns + "/" + tpl.name);
    return approvers.count(JsonStringOr(user, {"username"})) > 0;
  }
};

const char* kTemplate = R"({"apiVersion":"keyward.io/v1alpha1","kind":"ApiKeyTemplate",
  "metadata":{"name":"logs-reader","namespace":"team-a"},
  "spec":{"description":"d","access":[{"scope":"namespace","namespaces":["team-a"]}],
    "lifetimes":{"allowed":["7d","30d"],"default":"30d"},"approval":"Manual"}})";

struct Env {
  FakeApprovers reviewer;
  AdmissionEnv env;
  Env() {
    reviewer.approvers = {"carol"};
    reviewer.readers = {"carol"};
    env.reviewer = &reviewer;
    env.templates = [](const std::string& ns, const TemplateRef& ref) -> std::optional<ApiKeyTemplate> {
      if (ns != "team-a" || ref.name != "logs-reader" || ref.cluster()) return std::nullopt;
      FieldErrors errors;
      return ParseApiKeyTemplate(value::parse(kTemplate), &errors);
    };
  }
};

value Request(const std::string& conditions = "", const std::string& lifetime = "") {
  std::string spec = R"({"templateRef":{"name":"logs-reader"})" +
                     (lifetime.empty() ? "" : R"(,"lifetime":")" + lifetime + "\"") + "}";
  std::string status = conditions.empty() ? "" : R"(,"status":{"conditions":[)" + conditions + "]}";
  return value::parse(R"({"apiVersion":"keyward.io/v1alpha1","kind":"ApiKeyRequest",
    "metadata":{"name":"r","namespace":"team-a","annotations":{"keyward.io/requested-by":"bob"}},"spec":)" +
                      spec + status + "}");
}

value Review(const std::string& op, const std::string& user, const value& object,
             const value& old_object = value::null(), const std::string& sub = "") {
  value req;
  req["uid"] = value::string("u");
  req["kind"]["kind"] = value::string(JsonStringOr(object, {"kind"}));
  req["namespace"] = value::string("team-a");
  req["operation"] = value::string(op);
  req["userInfo"]["username"] = value::string(user);
  req["object"] = object;
  if (!old_object.is_null()) req["oldObject"] = old_object;
  if (!sub.empty()) req["subResource"] = value::string(sub);
  return req;
}

const char* kApprovedByCarol = R"({"type":"Approved","status":"True","reason":"KeywardApprove"})";

TEST(RequestAdmission, OnlyAnApproverMayApproveOrDeny) {
  Env e;
  auto refusal = RequestRefusal(e.env, Review("UPDATE", "bob", Request(kApprovedByCarol), Request(), "status"));
  ASSERT_TRUE(refusal);
  EXPECT_NE(refusal->find("user bob may not approve or deny requests for ApiKeyTemplate logs-reader"),
            std::string::npos) << *refusal;
  EXPECT_NE(refusal->find("approve on apikeytemplates.keyward.io"), std::string::npos);
  EXPECT_EQ(e.reviewer.asked.back(), "ApiKeyTemplate/team-a/logs-reader");
  EXPECT_FALSE(RequestRefusal(e.env, Review("UPDATE", "carol", Request(kApprovedByCarol), Request(), "status")));
  // keyward's own status writes (Issued) decide nothing: no review asked.
  e.reviewer.asked.clear();
  const std::string issued = std::string(kApprovedByCarol) + R"(,{"type":"Issued","status":"True"})";
  EXPECT_FALSE(RequestRefusal(e.env, Review("UPDATE", "keyward", Request(issued), Request(kApprovedByCarol), "status")));
  EXPECT_TRUE(e.reviewer.asked.empty());
}

TEST(RequestAdmission, ADecisionStays) {
  Env e;
  auto removed = RequestRefusal(e.env, Review("UPDATE", "carol", Request(), Request(kApprovedByCarol), "status"));
  ASSERT_TRUE(removed);
  EXPECT_NE(removed->find("cannot be changed or removed"), std::string::npos);
  const std::string both = std::string(kApprovedByCarol) + R"(,{"type":"Denied","status":"True"})";
  EXPECT_TRUE(RequestRefusal(e.env, Review("UPDATE", "carol", Request(both), Request(kApprovedByCarol), "status")));
}

TEST(RequestAdmission, CreateNeedsTheTemplateAndAnAllowedLifetime) {
  Env e;
  EXPECT_FALSE(RequestRefusal(e.env, Review("CREATE", "bob", Request("", "7d"))));
  auto lifetime = RequestRefusal(e.env, Review("CREATE", "bob", Request("", "1y")));
  ASSERT_TRUE(lifetime);
  EXPECT_NE(lifetime->find("spec.lifetime: \"1y\" is not allowed by ApiKeyTemplate logs-reader in namespace "
                           "team-a: choose one of 7d, 30d"), std::string::npos) << *lifetime;
  value other = Request();
  other["spec"]["templateRef"]["name"] = value::string("missing");
  auto missing = RequestRefusal(e.env, Review("CREATE", "bob", other));
  ASSERT_TRUE(missing);
  EXPECT_NE(missing->find("spec.templateRef: ApiKeyTemplate missing in namespace team-a not found"), std::string::npos);
}

TEST(RequestAdmission, TheRequesterAnnotationCannotBeRewritten) {
  Env e;
  value forged = Request();
  forged["metadata"]["annotations"]["keyward.io/requested-by"] = value::string("carol");
  EXPECT_TRUE(RequestRefusal(e.env, Review("UPDATE", "bob", forged, Request())));
}

TEST(RequestAdmission, TheDeciderCannotBeRewritten) {
  Env e;
  value decided = Request(kApprovedByCarol);
  decided["status"]["decidedBy"] = value::string("carol");
  value forged = decided;
  forged["status"]["decidedBy"] = value::string("mallory");
  auto changed = RequestRefusal(e.env, Review("UPDATE", "bob", forged, decided, "status"));
  ASSERT_TRUE(changed);
  EXPECT_NE(changed->find("status.decidedBy"), std::string::npos) << *changed;
  value removed = decided;
  removed["status"].as_object().erase("decidedBy");
  EXPECT_TRUE(RequestRefusal(e.env, Review("UPDATE", "bob", removed, decided, "status")));
  // keyward's own status write keeps it: allowed.
  EXPECT_FALSE(RequestRefusal(e.env, Review("UPDATE", "keyward", decided, decided, "status")));
}

TEST(RequestAdmission, MutationStampsRequesterAndDecider) {
  value create = RequestMutation(Review("CREATE", "bob", Request()));
  ASSERT_EQ(create.size(), 1u);
  EXPECT_EQ(create[0].at("path").as_string(), "/metadata/annotations/keyward.io~1requested-by");
  EXPECT_EQ(create[0].at("value").as_string(), "bob");
  value decide = RequestMutation(Review("UPDATE", "carol", Request(kApprovedByCarol), Request(), "status"));
  ASSERT_EQ(decide.size(), 1u);
  EXPECT_EQ(decide[0].at("path").as_string(), "/status/decidedBy");
  EXPECT_EQ(decide[0].at("value").as_string(), "carol");
  EXPECT_EQ(RequestMutation(Review("UPDATE", "carol", Request(kApprovedByCarol), Request(kApprovedByCarol), "status")).size(), 0u);
}

TEST(TemplateAdmission, InvalidOrWiderThanItsAuthorIsRefused) {
  Env e;
  EXPECT_FALSE(TemplateRefusal(e.env, Review("CREATE", "carol", value::parse(kTemplate))));
  auto wider = TemplateRefusal(e.env, Review("CREATE", "bob", value::parse(kTemplate)));
  ASSERT_TRUE(wider);
  EXPECT_NE(wider->find("an ApiKeyTemplate cannot grant more than its author may do"), std::string::npos);
  value bad = value::parse(kTemplate);
  bad["spec"]["lifetimes"]["default"] = value::string("1y");
  auto invalid = TemplateRefusal(e.env, Review("CREATE", "carol", bad));
  ASSERT_TRUE(invalid);
  EXPECT_NE(invalid->find("spec.lifetimes.default"), std::string::npos);
}

TEST(TemplateAdmission, AKeyUsingATemplateNeedsApproveOnIt) {
  Env e;
  TemplateRef ref{kTemplateKind, "logs-reader"};
  EXPECT_TRUE(TemplateKeyRefusal(e.env, Review("CREATE", "bob", Request()), ref));
  EXPECT_FALSE(TemplateKeyRefusal(e.env, Review("CREATE", "carol", Request()), ref));
  ref.name = "missing";
  auto missing = TemplateKeyRefusal(e.env, Review("CREATE", "carol", Request()), ref);
  ASSERT_TRUE(missing);
  EXPECT_NE(missing->find("not found"), std::string::npos);
}

TEST(TemplateAdmission, HoldersRotateAndKeywardRemovesFinalizersWithoutApprove) {
  Env e;
  TemplateRef ref{kTemplateKind, "logs-reader"};
  value key = value::parse(R"({"apiVersion":"keyward.io/v1alpha1","kind":"ApiKey",
    "metadata":{"name":"k","namespace":"team-a","finalizers":["keyward.io/secret"]},
    "spec":{"description":"d","templateRef":{"name":"logs-reader"}}})");
  value rotated = key;
  rotated["metadata"]["annotations"]["keyward.io/rotate-requested-at"] = value::string("2026-12-07T00:00:00Z");
  EXPECT_FALSE(TemplateKeyRefusal(e.env, Review("UPDATE", "bob", rotated, key), ref));
  value released = key;
  released["metadata"]["finalizers"] = value::array();
  EXPECT_FALSE(TemplateKeyRefusal(e.env, Review("UPDATE", "system:serviceaccount:keyward-system:keyward",
                                                released, key), ref));
  EXPECT_TRUE(e.reviewer.asked.empty());  // no approve review for either
  // A spec change still needs approve.
  value changed = key;
  changed["spec"]["description"] = value::string("other");
  EXPECT_TRUE(TemplateKeyRefusal(e.env, Review("UPDATE", "bob", changed, key), ref));
}

}  // namespace
}  // namespace keyward
