#include "base/glob.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

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

// The obvious recursive matcher, exponential but plainly right: the model
// the bit-parallel GlobMatch is checked against.
bool Model(std::string_view p, std::string_view s) {
  if (p.empty()) return s.empty();
  if (p[0] == '*') {
    for (std::size_t k = 0; k <= s.size(); ++k) {
      if (k > 0 && s[k - 1] == '/') break;
      if (Model(p.substr(1), s.substr(k))) return true;
    }
    return false;
  }
  if (s.empty() || s[0] == '/') return false;
  if (p[0] == '[') {
    std::size_t close = p.find(']', 1);
    std::string_view body = p.substr(1, close - 1);
    bool negate = !body.empty() && body[0] == '!';
    if (negate) body.remove_prefix(1);
    bool in = false;
    for (std::size_t j = 0; j < body.size(); ++j) {
      if (j + 2 < body.size() && body[j + 1] == '-') {
        in = in || (body[j] <= s[0] && s[0] <= body[j + 2]);
        j += 2;
      } else {
        in = in || body[j] == s[0];
      }
    }
    return in != negate && Model(p.substr(close + 1), s.substr(1));
  }
  return (p[0] == '?' || p[0] == s[0]) && Model(p.substr(1), s.substr(1));
}

TEST(GlobMatch, AgreesWithTheModelOnRandomPatterns) {
  std::mt19937 rng(7);
  const std::string pieces[] = {"*", "?", "a", "b", "-", ".", "[ab]", "[!a]", "[0-9]", "1"};
  const std::string chars = "ab-.1/";
  for (int round = 0; round < 20000; ++round) {
    std::string p, s;
    for (int i = rng() % 7; i > 0; --i) p += pieces[rng() % std::size(pieces)];
    for (int i = rng() % 9; i > 0; --i) s += chars[rng() % chars.size()];
    ASSERT_EQ(GlobMatch(p, s), Model(p, s)) << "pattern " << p << " name " << s;
  }
}

TEST(GlobMatch, StarAndQuestionNeverMatchASlash) {
  EXPECT_FALSE(GlobMatch("*", "a/b"));
  EXPECT_FALSE(GlobMatch("a?b", "a/b"));
  EXPECT_FALSE(GlobMatch("team-*", "team-a/../kube-system"));
  EXPECT_TRUE(GlobMatch("a*", "abc"));
}

TEST(GlobMatch, AdversarialPatternsOverLongNamesAreCorrect) {
  // "*a*a*...*a*b" against a long run of 'a': the greedy matcher this
  // replaced backtracked over every star; the answer must still be right.
  std::string p;
  for (int i = 0; i < 120; ++i) p += "*a";
  std::string s(100000, 'a');
  EXPECT_FALSE(GlobMatch(p + "*b", s));
  EXPECT_TRUE(GlobMatch(p + "*", s));
  EXPECT_TRUE(GlobMatch(p + "*b", s + "b"));
  // A pattern of 253 elements, the most ValidateGlob allows.
  std::string longest(253, '?');
  EXPECT_TRUE(GlobMatch(longest, std::string(253, 'x')));
  EXPECT_FALSE(GlobMatch(longest, std::string(252, 'x')));
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
