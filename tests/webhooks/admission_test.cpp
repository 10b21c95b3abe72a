// AdmissionReview handling for ApiKey, as kube-apiserver sends it.
#include "webhooks/admission.h"

#include <gtest/gtest.h>

#include <set>

#include "base/base64.h"

namespace keyward {
namespace {

using web::json::value;

struct FakeReviewer : LogAccessReviewer {
  std::set<std::string> readable;  // namespaces the user may read logs in; "" = all
  std::vector<std::string> asked;
  Result<bool> MayReadLogs(const value&, const std::string& ns) override {
    asked.push_back(ns);
    return readable.count("") > 0 || readable.count(ns) > 0;
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

TEST(NamespacesToReview, ExactNamesGlobsAndCluster) {
  auto ns = [](const char* spec) { return NamespacesToReview(value::parse(std::string(R"({"spec":)") + spec + "}")); };
  EXPECT_EQ(ns(R"({"access":[{"scope":"namespace","namespaces":["a","b","a"]}]})"),
            (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(ns(R"({"access":[{"scope":"pod","namespaces":["web-*"]}]})"), (std::vector<std::string>{""}));
  EXPECT_EQ(ns(R"({"access":[{"scope":"cluster"}]})"), (std::vector<std::string>{""}));
  EXPECT_TRUE(ns(R"({"access":5})").empty());
}

}  // namespace
}  // namespace keyward
