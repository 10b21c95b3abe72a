#include "base/glob.h"

#include <gtest/gtest.h>

namespace keyward {
namespace {

TEST(GlobMatch, IsAnchored) {
  EXPECT_TRUE(GlobMatch("prod", "prod"));
  EXPECT_FALSE(GlobMatch("prod", "preprod"));
  EXPECT_FALSE(GlobMatch("prod", "production"));
  EXPECT_FALSE(GlobMatch("prod", "prod2"));
  EXPECT_FALSE(GlobMatch("prod", ""));
}

TEST(GlobMatch, Star) {
  EXPECT_TRUE(GlobMatch("web-*", "web-"));
  EXPECT_TRUE(GlobMatch("web-*", "web-frontend"));
  EXPECT_FALSE(GlobMatch("web-*", "web"));
  EXPECT_FALSE(GlobMatch("web-*", "my-web-1"));
  EXPECT_TRUE(GlobMatch("*-prod", "eu-prod"));
  EXPECT_FALSE(GlobMatch("*-prod", "eu-prod-2"));
  EXPECT_TRUE(GlobMatch("*", "anything"));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("a*b*c", "aXXbYYc"));
  EXPECT_TRUE(GlobMatch("a*b*c", "abc"));
  EXPECT_FALSE(GlobMatch("a*b*c", "abcd"));
  EXPECT_TRUE(GlobMatch("**", "x"));
}

TEST(GlobMatch, QuestionAndClasses) {
  EXPECT_TRUE(GlobMatch("web-?", "web-1"));
  EXPECT_FALSE(GlobMatch("web-?", "web-12"));
  EXPECT_TRUE(GlobMatch("web-[0-9]", "web-7"));
  EXPECT_FALSE(GlobMatch("web-[0-9]", "web-a"));
  EXPECT_TRUE(GlobMatch("web-[!0-9]", "web-a"));
  EXPECT_FALSE(GlobMatch("web-[!0-9]", "web-3"));
  EXPECT_TRUE(GlobMatch("[abc]-*", "b-x"));
  EXPECT_FALSE(GlobMatch("[abc", "a"));  // malformed matches nothing
}

TEST(ValidateGlob, AcceptsNamesAndGlobs) {
  for (const char* ok : {"production", "web-*", "*", "api-?", "db-[0-9]", "x.y.z", "[!a-c]*"}) {
    EXPECT_FALSE(ValidateGlob(ok).has_value()) << ok;
  }
}

TEST(ValidateGlob, RejectsRegexAndMalformed) {
  struct Case {
    const char* pattern;
    const char* fragment;
  } cases[] = {
      {"^prod$", "regular-expression"}, {"web.*", "regular expression"},
      {"(a|b)", "regular-expression"},  {"a+", "regular-expression"},
      {"[abc", "unclosed '['"},         {"a[]", "empty class"},
      {"Prod", "lowercase"},            {"", "empty pattern"},
      {"a b", "not allowed"},           {"[z-a]", "reversed range"},
      {"a_b", "not allowed"},
  };
  for (const auto& c : cases) {
    auto err = ValidateGlob(c.pattern);
    ASSERT_TRUE(err.has_value()) << c.pattern;
    EXPECT_NE(err->find("invalid glob"), std::string::npos) << *err;
    EXPECT_NE(err->find(c.fragment), std::string::npos) << c.pattern << " -> " << *err;
  }
}

}  // namespace
}  // namespace keyward
