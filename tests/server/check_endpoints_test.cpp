#include "server/check_endpoints.h"

#include <gtest/gtest.h>

#include <deque>

#include "base/base64.h"
#include "check/fake_owners.h"

namespace keyward {
namespace {

using namespace std::chrono_literals;
const TimePoint kNow = *ParseRfc3339("2026-11-22T12:00:00Z");

struct Endpoints {
  KeyIndex index{"pepper-for-tests-0123456789abcdef"};
  FakeOwners owners;
  QuotaBook quotas;
  CheckService service{index, owners, quotas};
  Metrics metrics;
  CheckEndpointsEnv env{&service, &metrics, [] { return kNow; }};
  std::deque<std::string> storage;  // backs the string_views of requests (never moves them)

  Endpoints() { owners.pods["prod/web-1"] = PodOwner{}; }  // a bare pod

  std::string Add(const std::string& name, Limits limits = {}, bool disabled = false,
                  std::optional<TimePoint> expires = std::nullopt) {
    auto p = std::make_shared<IndexedPolicy>();
    p->ref = {"team-a", name};
    AccessRule r;
    r.scope = Scope::kNamespace;
    r.namespaces = {"prod"};
    p->policy.rules = {r};
    p->policy.disabled = disabled;
    p->policy.expires_at = expires;
    p->limits = limits;
    index.SetPolicy(p);
    std::string key = MintKey();
    index.AddKey(p->ref, index.hasher().Hash(key));
    return key;
  }
  HttpRequest Request(const std::string& method, std::string body,
                      std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpRequest r;
    r.method = storage.emplace_back(method);
    r.body = storage.emplace_back(std::move(body));
    for (auto& [k, v] : headers) r.headers.emplace_back(storage.emplace_back(k), storage.emplace_back(v));
    return r;
  }
  HttpResponse Check(const std::string& body, std::vector<std::pair<std::string, std::string>> h = {}) {
    return HandleCheck(env, Request("POST", body, std::move(h)));
  }
  HttpResponse Auth(const std::string& key, const std::string& ns, const std::string& pod = "") {
    std::vector<std::pair<std::string, std::string>> h{{"X-Keyward-Namespace", ns}};
    if (!key.empty()) h.emplace_back("Authorization", "Bearer " + key);
    if (!pod.empty()) h.emplace_back("X-Keyward-Pod", pod);
    return HandleForwardAuth(env, Request("GET", "", std::move(h)));
  }
};

std::string Header(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

TEST(CheckEndpoint, AllowedWithKeyInHeaderOrBody) {
  Endpoints e;
  std::string key = e.Add("logs", {std::nullopt, 10, std::nullopt});
  HttpResponse r = e.Check(R"({"namespace":"prod","pod":"web-1","container":"app"})",
                           {{"Authorization", "Bearer " + key}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"allowed":true,"reason":"allowed","apiKey":{"namespace":"team-a","name":"logs"},)"
                    R"("scope":"namespace","remaining":{"second":null,"day":9,"month":null}})");
  EXPECT_EQ(Header(r, "X-RateLimit-Remaining-Day"), "9");
  HttpResponse body = e.Check(R"({"namespace":"prod","key":")" + key + R"("})");
  EXPECT_NE(body.body.find(R"("allowed":true)"), std::string::npos) << body.body;
}

// Malformed, unknown, disabled and expired keys: one identical answer.
TEST(CheckEndpoint, UnusableKeysAreIndistinguishable) {
  Endpoints e;
  std::string good = e.Add("logs");
  std::string typo = good;
  typo[12] = typo[12] == 'x' ? 'y' : 'x';
  const std::string keys[] = {typo, MintKey(), e.Add("off", {}, true), e.Add("old", {}, false, kNow - 1s),
                              "not-a-key"};
  std::string first;
  for (const std::string& key : keys) {
    HttpResponse r = e.Check(R"({"namespace":"prod","key":")" + key + R"("})");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, R"({"allowed":false,"reason":"unauthenticated"})");
    EXPECT_TRUE(r.headers.empty());
  }
}

TEST(CheckEndpoint, BadRequestsGet4xxNamingTheProblem) {
  Endpoints e;
  std::string key = e.Add("logs");
  const std::pair<std::string, std::string> cases[] = {
      {"{", "JSON object"},
      {"[1,2]", "JSON object"},
      {R"({"namespace":5,"key":"x"})", "namespace: must be a string"},
      {R"({"key":")" + key + R"("})", "namespace: required"},
      {R"({"namespace":"prod","pod":["a"]})", "pod: must be a string"},
      {"{\"namespace\":\"pr\xffod\"}", "JSON object"},  // not UTF-8
  };
  for (const auto& [body, fragment] : cases) {
    HttpResponse r = e.Check(body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_NE(r.body.find(fragment), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find(key), std::string::npos);
  }
  EXPECT_EQ(e.Check(R"({"namespace":"prod"})").status, 401);
  EXPECT_EQ(e.Check(R"({"namespace":"prod"})", {{"Content-Type", "application/x-www-form-urlencoded"}}).status, 415);
  EXPECT_EQ(e.Check(R"({"namespace":"prod","key":")" + key + R"("})",
                    {{"Content-Type", "application/json; charset=utf-8"}}).status, 200);
  EXPECT_EQ(HandleCheck(e.env, e.Request("GET", "")).status, 405);
}

TEST(CheckEndpoint, TargetsThatAreNotKubernetesNamesGet400BeforeAnyMatching) {
  Endpoints e;
  std::string key = e.Add("logs");
  const std::string huge(1 << 20, 'a');
  const std::pair<std::string, std::string> cases[] = {
      {R"({"namespace":")" + huge + R"("})", "namespace: must be a namespace name"},
      {R"({"namespace":"Prod"})", "namespace: must be a namespace name"},
      {R"({"namespace":"prod","pod":")" + huge + R"("})", "pod: must be a pod name"},
      {R"({"namespace":"prod","pod":"web/1"})", "pod: must be a pod name"},
      {R"({"namespace":"prod","pod":"web-1","container":")" + std::string(64, 'c') + R"("})",
       "container: must be a container name"},
      {R"({"namespace":"prod","container":"a\r\nb"})", "container: must be a container name"},
      {R"({"namespace":"prod","action":"*"})", "action: must be an action name"},
  };
  for (const auto& [body, fragment] : cases) {
    HttpResponse r = e.Check(body, {{"Authorization", "Bearer " + key}});
    EXPECT_EQ(r.status, 400) << body.substr(0, 80);
    EXPECT_NE(r.body.find(fragment), std::string::npos) << r.body;
    EXPECT_LT(r.body.size(), 200u);  // never echoes the name
  }
  // Forward-auth headers get the same answer.
  HttpResponse r = e.Auth(key, "prod", std::string(300, 'p'));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("pod: must be a pod name"), std::string::npos) << r.body;
  // The longest valid names still reach the decision.
  EXPECT_EQ(e.Check(R"({"namespace":")" + std::string(63, 'n') + R"(","pod":")" + std::string(253, 'p') +
                    R"(","container":")" + std::string(63, 'c') + R"("})",
                    {{"Authorization", "Bearer " + key}}).status, 200);
}

// With --forward-auth-path the target is what the proxy saw: X-Keyward-*
// headers a client adds (and a proxy forgets to clear) change nothing.
TEST(ForwardAuth, WithAPathTemplateClientHeadersAreIgnored) {
  Endpoints e;
  auto p = e.Add("pods");  // namespace prod, any pod
  auto path = ForwardAuthPath::Parse("/logs/{namespace}/{pod}");
  ASSERT_TRUE(path.ok());
  e.env.forward_auth_path = &*path;
  auto call = [&](std::vector<std::pair<std::string, std::string>> h) {
    h.emplace_back("Authorization", "Bearer " + p);
    return HandleForwardAuth(e.env, e.Request("GET", "", std::move(h)));
  };
  EXPECT_EQ(call({{"X-Original-URI", "/logs/prod/web-1"}}).status, 200);
  // The client names another namespace in the headers: the URI decides.
  EXPECT_EQ(call({{"X-Original-URI", "/logs/staging/web-1"}, {"X-Keyward-Namespace", "prod"}}).status, 403);
  EXPECT_EQ(call({{"X-Forwarded-Uri", "/logs/staging/web-1"}, {"X-Keyward-Namespace", "prod"},
                  {"X-Keyward-Action", "log"}}).status, 403);
  HttpResponse none = call({{"X-Keyward-Namespace", "prod"}});
  EXPECT_EQ(none.status, 400);
  EXPECT_NE(none.body.find("X-Original-URI"), std::string::npos) << none.body;
  HttpResponse other = call({{"X-Original-URI", "/admin/prod"}});
  EXPECT_EQ(other.status, 400);
  EXPECT_NE(other.body.find("does not match --forward-auth-path /logs/{namespace}/{pod}"), std::string::npos);
  for (const char* uri : {"/logs/prod/..%2F", "/logs/prod/..", "/logs/prod/*", "/logs/*/web-1", "/logs/Prod/web-1",
                          "/logs/prod/web-1\r\nX-Evil: 1"}) {
    EXPECT_EQ(call({{"X-Original-URI", uri}}).status, 400) << uri;
  }
}

TEST(ForwardAuth, StatusCodesAndQuotaHeaders) {
  Endpoints e;
  std::string key = e.Add("logs", {1, std::nullopt, std::nullopt});
  HttpResponse ok = e.Auth(key, "prod", "web-1");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(Header(ok, "X-Keyward-ApiKey"), "team-a/logs");
  EXPECT_EQ(Header(ok, "X-RateLimit-Remaining-Second"), "0");
  HttpResponse over = e.Auth(key, "prod", "web-1");
  EXPECT_EQ(over.status, 429);
  EXPECT_EQ(Header(over, "Retry-After"), "1");
  EXPECT_EQ(e.Auth(key, "staging").status, 403);
  EXPECT_EQ(e.Auth("", "prod").status, 401);
  EXPECT_EQ(e.Auth(MintKey(), "prod").status, 401);
  EXPECT_EQ(e.Auth(key, "").status, 400);
}

TEST(ForwardAuth, BasicUserMustNameTheKeysApiKey) {
  Endpoints e;
  std::string key = e.Add("logs");
  auto basic = [&](const std::string& user) {
    return HandleForwardAuth(e.env, e.Request("GET", "", {{"X-Keyward-Namespace", "prod"},
                                                          {"Authorization", "Basic " + Base64Encode(user + ":" + key)}}));
  };
  EXPECT_EQ(basic("team-a/logs").status, 200);
  EXPECT_EQ(basic("team-a/other").status, 401);
}

TEST(CheckEndpoint, DecisionsAreCountedByReasonWithoutNames) {
  Endpoints e;
  std::string key = e.Add("logs");
  e.Auth(key, "prod");
  e.Auth(MintKey(), "prod");
  std::string text = e.metrics.Scrape();
  EXPECT_NE(text.find(R"(keyward_checks_total{endpoint="auth",reason="allowed",result="allowed"} 1)"),
            std::string::npos) << text;
  EXPECT_NE(text.find(R"(reason="unknown_key",result="denied"} 1)"), std::string::npos);
  EXPECT_EQ(text.find("logs"), std::string::npos);  // no ApiKey name in any label
  EXPECT_EQ(text.find("kw_"), std::string::npos);
}

// --per-key-metrics: allowed requests per ApiKey, labelled by namespace,
// name and template only; denied ones and keys themselves never appear.
TEST(CheckEndpoint, PerKeyMetricsCountAllowedRequestsByKeyAndTemplate) {
  Endpoints e;
  e.env.per_key_metrics = true;
  std::string key = e.Add("logs");
  e.Auth(key, "prod");
  e.Auth(key, "prod");
  e.Auth(key, "kube-system");  // not in scope: not counted
  std::string text = e.metrics.Scrape();
  EXPECT_NE(text.find(R"(keyward_apikey_requests_total{apikey="logs",namespace="team-a",template=""} 2)"),
            std::string::npos) << text;
  EXPECT_EQ(text.find("kw_"), std::string::npos);
  Endpoints off;  // the default: no series at all
  off.Auth(off.Add("logs"), "prod");
  EXPECT_EQ(off.metrics.Scrape().find("keyward_apikey_requests_total{"), std::string::npos);
}

}  // namespace
}  // namespace keyward
