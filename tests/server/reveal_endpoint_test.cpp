#include "server/reveal_endpoint.h"

#include <gtest/gtest.h>

namespace keyward {
namespace {

struct FakeAuthorizer : RevealAuthorizer {
  RevealPermission::Outcome outcome = RevealPermission::Outcome::kAllowed;
  std::string last_token;
  RevealPermission Check(const std::string& token, const ApiKeyRef& ref) override {
    last_token = token;
    return {outcome, "alice", outcome == RevealPermission::Outcome::kForbidden
                                  ? "user alice may not get apikeys/reveal in namespace " + ref.namespace_name
                                  : "nope"};
  }
};

HttpRequest Get(const std::string& path, const std::string& auth) {
  static std::string p, a;
  p = path;
  a = auth;
  HttpRequest r;
  r.method = "GET";
  r.path = p;
  if (!a.empty()) r.headers.emplace_back("Authorization", a);
  return r;
}

struct Reveal : ::testing::Test {
  KeyHasher hasher{"pepper-for-tests-0123456789abcdef"};
  VolatileKeyStore keys;
  FakeAuthorizer auth;
  std::string key = MintKey();
  void SetUp() override { keys.Put({"team-a", "ci"}, "uid-1", key, hasher, Clock::now()); }
};

TEST_F(Reveal, OnceThenGone) {
  HttpResponse first = HandleReveal(auth, keys, Get("/v1/reveal/team-a/ci", "Bearer sa-token"));
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.body, R"({"apiKey":{"namespace":"team-a","name":"ci"},"key":")" + key + R"("})");
  EXPECT_TRUE(first.sensitive);
  EXPECT_EQ(first.headers[0], (std::pair<std::string, std::string>{"Cache-Control", "no-store"}));
  EXPECT_EQ(auth.last_token, "sa-token");
  HttpResponse second = HandleReveal(auth, keys, Get("/v1/reveal/team-a/ci", "Bearer sa-token"));
  EXPECT_EQ(second.status, 410);
  EXPECT_NE(second.body.find("revealed once already"), std::string::npos);
  EXPECT_EQ(second.body.find(key), std::string::npos);
}

TEST_F(Reveal, RefusalsSayWhyAndRevealNothing) {
  EXPECT_EQ(HandleReveal(auth, keys, Get("/v1/reveal/team-a/ci", "")).status, 401);
  auth.outcome = RevealPermission::Outcome::kUnauthenticated;
  EXPECT_EQ(HandleReveal(auth, keys, Get("/v1/reveal/team-a/ci", "Bearer x")).status, 401);
  auth.outcome = RevealPermission::Outcome::kForbidden;
  HttpResponse forbidden = HandleReveal(auth, keys, Get("/v1/reveal/team-a/ci", "Bearer x"));
  EXPECT_EQ(forbidden.status, 403);
  EXPECT_NE(forbidden.body.find("alice may not get apikeys/reveal in namespace team-a"), std::string::npos);
  auth.outcome = RevealPermission::Outcome::kAllowed;
  EXPECT_EQ(HandleReveal(auth, keys, Get("/v1/reveal/team-a/other", "Bearer x")).status, 404);
  EXPECT_EQ(HandleReveal(auth, keys, Get("/v1/reveal/team-a", "Bearer x")).status, 404);
  EXPECT_EQ(HandleReveal(auth, keys, Get("/v1/reveal/team-a/ci/extra", "Bearer x")).status, 404);
  // Nothing above used up the one reveal.
  EXPECT_EQ(HandleReveal(auth, keys, Get("/v1/reveal/team-a/ci", "Bearer x")).status, 200);
}

}  // namespace
}  // namespace keyward
