#include "server/presented_key.h"

#include <gtest/gtest.h>

#include "base/base64.h"

namespace keyward {
namespace {

HttpRequest WithAuth(const std::string& value) {
  HttpRequest r;
  static std::string storage;
  storage = value;
  r.headers.emplace_back("authorization", storage);
  return r;
}

TEST(KeyFromHeaders, BearerAndBasic) {
  PresentedKey bearer = KeyFromHeaders(WithAuth("Bearer kw_abc"));
  EXPECT_EQ(bearer.key, "kw_abc");
  EXPECT_FALSE(bearer.claimed);
  EXPECT_EQ(KeyFromHeaders(WithAuth("bearer   kw_abc  ")).key, "kw_abc");

  PresentedKey basic = KeyFromHeaders(WithAuth("Basic " + Base64Encode("team-a/logs:kw_xyz")));
  EXPECT_EQ(basic.key, "kw_xyz");
  ASSERT_TRUE(basic.claimed);
  EXPECT_EQ(*basic.claimed, (ApiKeyRef{"team-a", "logs"}));
}

TEST(KeyFromHeaders, NoHeaderIsNoKeyAndNoError) {
  PresentedKey none = KeyFromHeaders(HttpRequest{});
  EXPECT_TRUE(none.key.empty());
  EXPECT_TRUE(none.error.empty());
}

// Bad headers get a reason that never repeats what was sent.
TEST(KeyFromHeaders, BadHeadersNameTheProblemNotTheKey) {
  const std::string cases[] = {
      "Basic !!!notbase64", "Basic " + Base64Encode("no-colon-kw_secret123"),
      "Basic " + Base64Encode("logs:kw_secret123"),  // user without namespace/
      "Digest kw_secret123"};
  for (const std::string& value : cases) {
    PresentedKey p = KeyFromHeaders(WithAuth(value));
    EXPECT_TRUE(p.key.empty()) << value;
    EXPECT_FALSE(p.error.empty()) << value;
    EXPECT_EQ(p.error.find("kw_secret"), std::string::npos) << p.error;
  }
}

}  // namespace
}  // namespace keyward
