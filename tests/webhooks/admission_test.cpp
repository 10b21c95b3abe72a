// AdmissionReview handling for ApiKey, as kube-apiserver sends it.
#include "webhooks/admission.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "base/base64.h"

namespace keyward {
namespace {

using web::json::value;

struct FakeReviewer : AdmissionReviewer {
  std::set<std::string> readable;  // namespaces the user may read logs in; "" = all
  std::set<std::string> granted;   // other access, as "<Describe()> in <Where()>"
  std::vector<std::string> asked;  // namespaces of get pods/log reviews
  std::vector<std::string> asked_all;  // every review, as granted
  Result<bool> May(const value&, const AccessReview& r) override {
    asked_all.push_back(r.Describe() + " in " + r.Where());
    if (r.Describe() != "get pods/log") return granted.count(asked_all.back()) > 0;
    asked.push_back(r.namespace_name);
    return readable.count("") > 0 || readable.count(r.namespace_name) > 0;
  }
};

std::string ReviewBody(const std::string& op, const std::string& spec, const std::string& old_spec = "") {
  std::string obj = R"({"apiVersion":"keyward.io/v1alpha1","kind":"ApiKey","metadata":{"name":"k","namespace":"team-a"},"spec":)" + spec + "}";
  std::string body = R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-1",)"
                     R"("namespace":"team-a","operation":")" + op + R"(","userInfo":{"username":"alice","groups":["dev"]},"object":)" + obj;
  if (!old_spec.empty()) {
    body += R"(,"oldObject":{"apiVersion":"keyward.io/v1alpha1","kind":"ApiKey","metadata":{"name":"k","namespace":"team-a"},"spec":)" + old_spec + "}";
  }
  return body + "}}";
}

struct Admission {
  FakeReviewer reviewer;
  int existing = 0;
  AdmissionEnv env;
  std::string storage;
  Admission() {
    reviewer.readable = {"prod"};
    env.reviewer = &reviewer;
    env.max_keys_per_namespace = 3;
    env.count_in_namespace = [this](const std::string&) { return existing; };
  }
  value Call(HttpResponse (*handler)(const AdmissionEnv&, const HttpRequest&), std::string body) {
    storage = std::move(body);
    HttpRequest r;
    r.method = "POST";
    r.body = storage;
    HttpResponse out = handler(env, r);
    EXPECT_EQ(out.status, 200) << out.body;
    return value::parse(out.body).at("response");
  }
};

const char* kGood = R"({"description":"logs","access":[{"scope":"namespace","namespaces":["prod"]}]})";

TEST(Validate, AllowsAValidKeyTheCreatorCouldReadHimself) {
  Admission a;
  value r = a.Call(HandleValidate, ReviewBody("CREATE", kGood));
  EXPECT_EQ(r.at("uid").as_string(), "u-1");
  EXPECT_TRUE(r.at("allowed").as_bool());
  EXPECT_EQ(a.reviewer.asked, (std::vector<std::string>{"prod"}));
}

TEST(Validate, RefusesWithTheFieldPathAndReason) {
  Admission a;
  value r = a.Call(HandleValidate, ReviewBody("CREATE", R"({"description":"x","access":[{"scope":"galaxy"}]})"));
  EXPECT_FALSE(r.at("allowed").as_bool());
  std::string msg = r.at("status").at("message").as_string();
  EXPECT_NE(msg.find("spec.access[0].scope"), std::string::npos) << msg;
  EXPECT_EQ(r.at("status").at("code").as_integer(), 403);
}

TEST(Validate, TypeIsImmutableOnUpdate) {
  Admission a;
  std::string vol = R"({"description":"logs","type":"volatile","access":[{"scope":"namespace","namespaces":["prod"]}]})";
  value r = a.Call(HandleValidate, ReviewBody("UPDATE", vol, kGood));
  EXPECT_FALSE(r.at("allowed").as_bool());
  EXPECT_NE(r.at("status").at("message").as_string().find("spec.type"), std::string::npos);
}

TEST(Validate, TheCreatorStampCannotBeChangedOrRemoved) {
  Admission a;
  auto with_creator = [](const std::string& body, const std::string& who) {
    value v = value::parse(body);
    for (const char* which : {"object", "oldObject"}) {
      if (!v["request"].has_field(which)) continue;
      if (!who.empty()) v["request"][which]["metadata"]["annotations"]["keyward.io/created-by"] = value::string(who);
    }
    return v;
  };
  value review = with_creator(ReviewBody("UPDATE", kGood, kGood), "alice");
  value forged = review;
  forged["request"]["object"]["metadata"]["annotations"]["keyward.io/created-by"] = value::string("admin");
  value r = a.Call(HandleValidate, forged.serialize());
  EXPECT_FALSE(r.at("allowed").as_bool());
  EXPECT_NE(r.at("status").at("message").as_string().find("keyward.io/created-by"), std::string::npos);
  value removed = review;
  removed["request"]["object"]["metadata"].as_object().erase("annotations");
  EXPECT_FALSE(a.Call(HandleValidate, removed.serialize()).at("allowed").as_bool());
  EXPECT_TRUE(a.Call(HandleValidate, review.serialize()).at("allowed").as_bool());
}

TEST(Validate, PerNamespaceLimitOnCreateOnly) {
  Admission a;
  a.existing = 3;
  value r = a.Call(HandleValidate, ReviewBody("CREATE", kGood));
  EXPECT_FALSE(r.at("allowed").as_bool());
  EXPECT_NE(r.at("status").at("message").as_string().find("the limit is 3"), std::string::npos);
  EXPECT_TRUE(a.Call(HandleValidate, ReviewBody("UPDATE", kGood, kGood)).at("allowed").as_bool());
}

TEST(Validate, NoEscalationNamesTheNamespace) {
  Admission a;
  value r = a.Call(HandleValidate, ReviewBody("CREATE",
      R"({"description":"x","access":[{"scope":"namespace","namespaces":["prod","kube-system"]}]})"));
  EXPECT_FALSE(r.at("allowed").as_bool());
  std::string msg = r.at("status").at("message").as_string();
  EXPECT_NE(msg.find("alice may not get pods/log in namespace kube-system"), std::string::npos) << msg;
  // A glob or cluster scope needs access everywhere.
  value glob = a.Call(HandleValidate, ReviewBody("CREATE",
      R"({"description":"x","access":[{"scope":"namespace","namespaces":["prod-*"]}]})"));
  EXPECT_NE(glob.at("status").at("message").as_string().find("every namespace"), std::string::npos);
  a.reviewer.readable.insert("");
  EXPECT_TRUE(a.Call(HandleValidate, ReviewBody("CREATE",
      R"({"description":"x","access":[{"scope":"cluster"}]})")).at("allowed").as_bool());
}

TEST(Validate, DeleteAndBadBodies) {
  Admission a;
  EXPECT_TRUE(a.Call(HandleValidate, ReviewBody("DELETE", kGood)).at("allowed").as_bool());
  a.storage = "{";
  HttpRequest r;
  r.method = "POST";
  r.body = a.storage;
  EXPECT_EQ(HandleValidate(a.env, r).status, 400);
  a.storage = R"({"request":{}})";
  r.body = a.storage;
  EXPECT_EQ(HandleValidate(a.env, r).status, 400);
}

TEST(Mutate, StampsTheCreator) {
  Admission a;
  value r = a.Call(HandleMutate, ReviewBody("CREATE", kGood));
  EXPECT_TRUE(r.at("allowed").as_bool());
  EXPECT_EQ(r.at("patchType").as_string(), "JSONPatch");
  std::string patch = *Base64Decode(r.at("patch").as_string());
  EXPECT_EQ(patch, R"([{"op":"add","path":"/metadata/annotations","value":{"keyward.io/created-by":"alice"}}])");
  EXPECT_FALSE(a.Call(HandleMutate, ReviewBody("UPDATE", kGood, kGood)).has_field("patch"));
}

TEST(Admission, CallsAreCountedByKindAndResult) {
  Admission a;
  Metrics metrics;
  a.env.metrics = &metrics;
  a.Call(HandleValidate, ReviewBody("CREATE", kGood));
  a.Call(HandleValidate, ReviewBody("CREATE", R"({"description":"x","access":[{"scope":"galaxy"}]})"));
  a.Call(HandleMutate, ReviewBody("CREATE", kGood));
  a.storage = "{";
  HttpRequest bad;
  bad.method = "POST";
  bad.body = a.storage;
  EXPECT_EQ(HandleValidate(a.env, bad).status, 400);
  std::string text = metrics.Scrape();
  for (const char* line : {R"(keyward_webhook_calls_total{kind="validate",result="allowed"} 1)",
                           R"(keyward_webhook_calls_total{kind="validate",result="denied"} 1)",
                           R"(keyward_webhook_calls_total{kind="validate",result="error"} 1)",
                           R"(keyward_webhook_calls_total{kind="mutate",result="allowed"} 1)"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
  EXPECT_EQ(text.find("alice"), std::string::npos);  // no user in any label
}

std::vector<std::string> Reviews(const std::string& spec) {
  Result<std::vector<AccessReview>> r = AccessReviewsFor(value::parse(R"({"spec":)" + spec + "}"));
  EXPECT_TRUE(r.ok()) << r.error();
  std::vector<std::string> out;
  for (const AccessReview& a : r.ok() ? *r : std::vector<AccessReview>{}) {
    out.push_back(a.Describe() + " in " + a.Where());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(AccessReviewsFor, ExactNamesGlobsAndClusterDeduplicated) {
  EXPECT_EQ(Reviews(R"({"access":[{"scope":"namespace","namespaces":["a","b","a"]}]})"),
            (std::vector<std::string>{"get pods/log in namespace a", "get pods/log in namespace b"}));
  EXPECT_EQ(Reviews(R"({"access":[{"scope":"pod","namespaces":["web-*"]}]})"),
            (std::vector<std::string>{"get pods/log in every namespace"}));
  EXPECT_EQ(Reviews(R"({"access":[{"scope":"cluster"}]})"),
            (std::vector<std::string>{"get pods/log in every namespace"}));
  // A namespace is not reviewed again when the same access is reviewed everywhere.
  EXPECT_EQ(Reviews(R"({"access":[{"scope":"namespace","namespaces":["a"]},{"scope":"cluster"}]})"),
            (std::vector<std::string>{"get pods/log in every namespace"}));
  EXPECT_TRUE(Reviews(R"({"access":5})").empty());
}

TEST(AccessReviewsFor, EveryActionMapsToTheRbacItStandsFor) {
  EXPECT_EQ(Reviews(R"({"access":[{"scope":"namespace","namespaces":["a"],"actions":["log","events","metrics","ops"]}]})"),
            (std::vector<std::string>{"get pods.metrics.k8s.io in namespace a", "get pods/log in namespace a",
                                      "grant actions.keyward.io named ops in namespace a",
                                      "list events in namespace a"}));
  // "*" is every built-in action and grant on every named action.
  EXPECT_EQ(Reviews(R"({"access":[{"scope":"namespace","namespaces":["a"],"actions":["*"]}]})"),
            (std::vector<std::string>{"get pods.metrics.k8s.io in namespace a", "get pods/log in namespace a",
                                      "grant actions.keyward.io in namespace a", "list events in namespace a"}));
}

TEST(AccessReviewsFor, TooManyIsRefusedWithTheCount) {
  // 64 rules of 64 distinct namespaces: 4,096 reviews before the cap.
  value spec;
  for (int r = 0; r < 64; ++r) {
    value rule;
    rule["scope"] = value::string("namespace");
    for (int n = 0; n < 64; ++n) rule["namespaces"][n] = value::string("ns-" + std::to_string(r * 64 + n));
    spec["spec"]["access"][r] = rule;
  }
  Result<std::vector<AccessReview>> r = AccessReviewsFor(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("needs 4096 access reviews"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("more than the 128"), std::string::npos) << r.error();
}

TEST(Validate, EscalationCoversEveryAction) {
  Admission a;  // alice may read logs in prod, nothing else
  const char* ops = R"({"description":"x","access":[{"scope":"namespace","namespaces":["prod"],"actions":["log","ops"]}]})";
  value r = a.Call(HandleValidate, ReviewBody("CREATE", ops));
  ASSERT_FALSE(r.at("allowed").as_bool());
  std::string msg = r.at("status").at("message").as_string();
  EXPECT_NE(msg.find("alice may not grant actions.keyward.io named ops in namespace prod"), std::string::npos) << msg;
  a.reviewer.granted.insert("grant actions.keyward.io named ops in namespace prod");
  EXPECT_TRUE(a.Call(HandleValidate, ReviewBody("CREATE", ops)).at("allowed").as_bool());
  value events = a.Call(HandleValidate, ReviewBody("CREATE",
      R"({"description":"x","access":[{"scope":"namespace","namespaces":["prod"],"actions":["events"]}]})"));
  EXPECT_NE(events.at("status").at("message").as_string().find("may not list events in namespace prod"),
            std::string::npos);
}

TEST(Validate, AFatReviewIsRefusedWithoutCallingTheApiServer) {
  Admission a;
  a.reviewer.readable.insert("");
  std::string spec = R"({"description":"x","access":[)";
  for (int r = 0; r < 64; ++r) {
    spec += std::string(r ? "," : "") + R"({"scope":"namespace","namespaces":[)";
    for (int n = 0; n < 64; ++n) spec += (n ? ",\"ns-" : "\"ns-") + std::to_string(r * 64 + n) + "\"";
    spec += "]}";
  }
  spec += "]}";
  value r = a.Call(HandleValidate, ReviewBody("CREATE", spec));
  EXPECT_FALSE(r.at("allowed").as_bool());
  EXPECT_NE(r.at("status").at("message").as_string().find("4096 access reviews"), std::string::npos);
  EXPECT_TRUE(a.reviewer.asked_all.empty());
}

TEST(Validate, AnUpdateThatKeepsTheSpecIsNotReviewedAgain) {
  Admission a;  // alice may not read kube-system: as if the creator were someone else
  const char* wide = R"({"description":"x","access":[{"scope":"namespace","namespaces":["kube-system"]}]})";
  value keep = value::parse(ReviewBody("UPDATE", wide, wide));
  keep["request"]["object"]["metadata"]["annotations"]["keyward.io/rotate-requested-at"] =
      value::string("2026-12-07T00:00:00Z");
  EXPECT_TRUE(a.Call(HandleValidate, keep.serialize()).at("allowed").as_bool());
  EXPECT_TRUE(a.reviewer.asked_all.empty());
  // A changed spec is reviewed.
  const char* wider = R"({"description":"y","access":[{"scope":"namespace","namespaces":["kube-system"]}]})";
  EXPECT_FALSE(a.Call(HandleValidate, ReviewBody("UPDATE", wider, wide)).at("allowed").as_bool());
}

}  // namespace
}  // namespace keyward
