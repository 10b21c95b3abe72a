// TokenReview and SubjectAccessReview handlers, as kube-apiserver calls them.
#include <gtest/gtest.h>

#include <map>

#include "check/fake_owners.h"
#include "webhooks/subject_access_review.h"
#include "webhooks/token_review.h"

namespace keyward {
namespace {

using namespace std::chrono_literals;
const TimePoint kNow = *ParseRfc3339("2026-11-22T12:00:00Z");

struct Webhooks {
  KeyIndex index{"pepper-for-tests-0123456789abcdef"};
  FakeOwners owners;
  QuotaBook quotas;
  CheckService service{index, owners, quotas};
  CheckEndpointsEnv env{&service, nullptr, [] { return kNow; }};
  std::string body;
  std::map<std::string, std::string> ids;  // user -> the key id /authenticate gave it

  Webhooks() { owners.pods["prod/web-1"] = PodOwner{SetType::kReplica, "web-7d9f", "web"}; }

  std::string Add(const std::string& name, AccessRule rule, bool disabled = false) {
    auto p = std::make_shared<IndexedPolicy>();
    p->ref = {"team-a", name};
    p->policy.rules = {rule};
    p->policy.disabled = disabled;
    index.SetPolicy(p);
    std::string key = MintKey();
    index.AddKey(p->ref, index.hasher().Hash(key));
    ids["keyward:team-a:" + name] = KeyIdOf(index.hasher().Hash(key));
    return key;
  }
  HttpResponse Call(HttpResponse (*handler)(const CheckEndpointsEnv&, const HttpRequest&),
                    std::string json) {
    body = std::move(json);
    HttpRequest r;
    r.method = "POST";
    r.body = body;
    return handler(env, r);
  }
  HttpResponse TokenReview(const std::string& token) {
    return Call(HandleTokenReview, R"({"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview",)"
                                   R"("spec":{"token":")" + token + R"(","audiences":["https://kubernetes.default.svc"]}})");
  }
  // As kube-apiserver sends it for a user /authenticate made: the group,
  // and the key id in extra (|id| overrides; "-" leaves both out).
  HttpResponse Sar(const std::string& user, const std::string& ns, const std::string& verb,
                   const std::string& resource, const std::string& sub, const std::string& name,
                   std::string id = "") {
    if (id.empty()) id = ids.count(user) ? ids[user] : "0123456789abcdef";
    const std::string who = id == "-" ? R"("groups":["system:authenticated"],)"
                                      : R"("groups":["keyward:apikeys","system:authenticated"],)"
                                        R"("extra":{"keyward.io/key-id":[")" + id + R"("]},)";
    return Call(HandleSubjectAccessReview,
                R"({"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{)"
                R"("user":")" + user + R"(",)" + who +
                R"("resourceAttributes":{"namespace":")" + ns + R"(","verb":")" + verb +
                R"(","group":"","resource":")" + resource + R"(","subresource":")" + sub +
                R"(","name":")" + name + R"("}}})");
  }
};

AccessRule Rule(Scope scope) {
  AccessRule r;
  r.scope = scope;
  r.namespaces = {"prod"};
  return r;
}

TEST(TokenReview, UsableKeyBecomesAKeywardUser) {
  Webhooks w;
  std::string key = w.Add("logs", Rule(Scope::kNamespace));
  HttpResponse r = w.TokenReview(key);
  EXPECT_EQ(r.status, 200);
  const std::string id = KeyIdOf(w.index.hasher().Hash(key));
  EXPECT_EQ(id.size(), 16u);
  EXPECT_EQ(r.body, R"({"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","status":{)"
                    R"("authenticated":true,"user":{"username":"keyward:team-a:logs","groups":)"
                    R"(["keyward:apikeys"],"extra":{"keyward.io/key-id":[")" + id +
                    R"("]}},"audiences":["https://kubernetes.default.svc"]}})");
  EXPECT_EQ(r.body.find(key), std::string::npos);
}

TEST(TokenReview, OtherTokensAndUnusableKeysAreNotAuthenticated) {
  Webhooks w;
  std::string off = w.Add("off", Rule(Scope::kNamespace), true);
  const std::string want = R"({"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","status":{"authenticated":false}})";
  for (const std::string& token : {off, MintKey(), std::string("eyJhbGciOiJSUzI1NiJ9.x.y"), std::string("")}) {
    EXPECT_EQ(w.TokenReview(token).body, want) << token;
  }
  EXPECT_EQ(w.Call(HandleTokenReview, "{").status, 400);
  EXPECT_EQ(w.Call(HandleTokenReview, R"({"spec":{"token":5}})").status, 400);
}

TEST(SubjectAccessReview, KeywardUsersReadPodsAndLogsInScopeOnly) {
  Webhooks w;
  AccessRule set = Rule(Scope::kSet);
  set.set_type = SetType::kDeployment;
  set.sets = {"web"};
  w.Add("ns", Rule(Scope::kNamespace));
  w.Add("web", set);
  AccessRule container = Rule(Scope::kContainer);
  container.containers = {"app"};
  w.Add("container", container);
  struct Row {
    std::string user, ns, verb, resource, sub, name;
    bool allowed, denied;
  } rows[] = {
      {"keyward:team-a:ns", "prod", "get", "pods", "log", "web-1", true, false},
      {"keyward:team-a:ns", "prod", "list", "pods", "", "", true, false},
      {"keyward:team-a:ns", "staging", "get", "pods", "log", "web-1", false, true},
      {"keyward:team-a:ns", "prod", "delete", "pods", "", "web-1", false, true},
      {"keyward:team-a:ns", "prod", "get", "secrets", "", "x", false, true},
      {"keyward:team-a:ns", "prod", "create", "pods", "exec", "web-1", false, true},
      {"keyward:team-a:web", "prod", "get", "pods", "log", "web-1", true, false},
      {"keyward:team-a:web", "prod", "get", "pods", "log", "db-0", false, true},
      {"keyward:team-a:container", "prod", "get", "pods", "log", "web-1", false, true},
      {"keyward:team-a:gone", "prod", "get", "pods", "log", "web-1", false, true},
      {"alice", "prod", "get", "pods", "log", "web-1", false, false},  // no opinion
      {"system:serviceaccount:prod:default", "prod", "get", "pods", "", "x", false, false},
  };
  for (const Row& row : rows) {
    HttpResponse r = w.Sar(row.user, row.ns, row.verb, row.resource, row.sub, row.name);
    ASSERT_EQ(r.status, 200);
    EXPECT_NE(r.body.find(row.allowed ? R"("allowed":true)" : R"("allowed":false)"), std::string::npos)
        << row.user << " " << row.verb << " " << row.sub << " " << row.name << ": " << r.body;
    EXPECT_EQ(r.body.find(R"("denied":true)") != std::string::npos, row.denied)
        << row.user << " " << row.ns << ": " << r.body;
  }
}

TEST(SubjectAccessReview, OnlyTheKeyAuthenticateNamedIsDecided) {
  Webhooks w;
  std::string old_key = w.Add("ns", Rule(Scope::kNamespace));
  const std::string old_id = w.ids["keyward:team-a:ns"];
  auto verdict = [&](const std::string& user, const std::string& id) {
    std::string body = w.Sar(user, "prod", "get", "pods", "log", "web-1", id).body;
    return body.find(R"("allowed":true)") != std::string::npos ? "allowed"
           : body.find(R"("denied":true)") != std::string::npos ? "denied" : "no opinion";
  };
  EXPECT_STREQ(verdict("keyward:team-a:ns", old_id), "allowed");
  // A user named keyward:… by another authenticator has neither the
  // group nor the key id: not ours.
  EXPECT_STREQ(verdict("keyward:team-a:ns", "-"), "no opinion");
  // The id of another ApiKey's key, or of no key at all: refused.
  w.Add("other", Rule(Scope::kNamespace));
  EXPECT_STREQ(verdict("keyward:team-a:ns", w.ids["keyward:team-a:other"]), "denied");
  EXPECT_STREQ(verdict("keyward:team-a:ns", "0123456789abcdef"), "denied");
  // Rotated: the old key, still in kube-apiserver's token cache, no longer
  // gets the ApiKey's scope; the new one does.
  std::string new_key = MintKey();
  w.index.AddKey({"team-a", "ns"}, w.index.hasher().Hash(new_key));
  w.index.RemoveKey({"team-a", "ns"}, w.index.hasher().Hash(old_key));
  EXPECT_STREQ(verdict("keyward:team-a:ns", old_id), "denied");
  EXPECT_STREQ(verdict("keyward:team-a:ns", KeyIdOf(w.index.hasher().Hash(new_key))), "allowed");
}

TEST(SubjectAccessReview, MalformedBodiesGet400) {
  Webhooks w;
  EXPECT_EQ(w.Call(HandleSubjectAccessReview, "[]").status, 400);
  EXPECT_EQ(w.Call(HandleSubjectAccessReview, R"({"spec":"x"})").status, 400);
  HttpResponse odd = w.Call(HandleSubjectAccessReview, R"({"spec":{"user":5,"resourceAttributes":7}})");
  EXPECT_EQ(odd.status, 200);  // no user we know: no opinion
}

TEST(Webhooks, CallsAreCountedByKindAndResult) {
  Webhooks w;
  Metrics metrics;
  w.env.metrics = &metrics;
  std::string key = w.Add("ns", Rule(Scope::kNamespace));
  w.TokenReview(key);
  w.TokenReview(MintKey());
  w.Call(HandleTokenReview, "[]");
  w.Sar("keyward:team-a:ns", "prod", "get", "pods", "log", "web-1");
  w.Sar("keyward:team-a:ns", "staging", "get", "pods", "log", "web-1");
  w.Sar("alice", "prod", "get", "pods", "log", "web-1");
  std::string text = metrics.Scrape();
  for (const char* line : {R"(keyward_webhook_calls_total{kind="authenticate",result="allowed"} 1)",
                           R"(keyward_webhook_calls_total{kind="authenticate",result="denied"} 1)",
                           R"(keyward_webhook_calls_total{kind="authenticate",result="error"} 1)",
                           R"(keyward_webhook_calls_total{kind="authorize",result="allowed"} 1)",
                           R"(keyward_webhook_calls_total{kind="authorize",result="denied"} 1)",
                           R"(keyward_webhook_calls_total{kind="authorize",result="no_opinion"} 1)"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
}

TEST(Webhooks, BodiesThatAreNotUtf8Get400) {
  // Found by fuzz/token_review_fuzz: invalid UTF-8 in spec.audiences was
  // echoed into a response no JSON parser accepts.
  Webhooks w;
  const std::string bad = "{\"spec\":{\"token\":\"x\",\"audiences\":[\"a\xff\x8c\"]}}";
  EXPECT_EQ(w.Call(HandleTokenReview, bad).status, 400);
  EXPECT_EQ(w.Call(HandleSubjectAccessReview, "{\"spec\":{\"user\":\"\xc3\"}}").status, 400);
}

}  // namespace
}  // namespace keyward
