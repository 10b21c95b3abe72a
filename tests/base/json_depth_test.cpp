#include "base/json_depth.h"

#include <gtest/gtest.h>

#include <string>

namespace keyward {
namespace {

TEST(JsonDepth, CountsArraysAndObjectsTogether) {
  EXPECT_TRUE(JsonDepthWithin("", 0));
  EXPECT_TRUE(JsonDepthWithin("1", 0));
  EXPECT_FALSE(JsonDepthWithin("[]", 0));
  EXPECT_TRUE(JsonDepthWithin("[]", 1));
  EXPECT_TRUE(JsonDepthWithin(R"({"a":[{"b":[]}]})", 4));
  EXPECT_FALSE(JsonDepthWithin(R"({"a":[{"b":[]}]})", 3));
  // Siblings do not add up.
  EXPECT_TRUE(JsonDepthWithin("[[],[],[],[[]]]", 3));
}

TEST(JsonDepth, BracketsInStringsDoNotCount) {
  EXPECT_TRUE(JsonDepthWithin(R"(["[[[[{{{{"])", 1));
  // An escaped quote does not end the string; an escaped backslash does not
  // escape the quote after it.
  EXPECT_TRUE(JsonDepthWithin(R"(["\"[[[["])", 1));
  EXPECT_FALSE(JsonDepthWithin(R"(["\\",[[]])", 2));
  EXPECT_TRUE(JsonDepthWithin(R"(["\\",[[]]])", 3));
}

TEST(JsonDepth, MegabytesOfOpeningBracketsAreRefusedInOnePass) {
  std::string deep(1 << 20, '[');
  EXPECT_FALSE(JsonDepthWithin(deep, kMaxBodyJsonDepth));
  EXPECT_FALSE(JsonDepthWithin(deep, kMaxKubeJsonDepth));
  std::string ok = std::string(kMaxBodyJsonDepth, '[') + std::string(kMaxBodyJsonDepth, ']');
  EXPECT_TRUE(JsonDepthWithin(ok, kMaxBodyJsonDepth));
  EXPECT_FALSE(JsonDepthWithin("[" + ok + "]", kMaxBodyJsonDepth));
}

}  // namespace
}  // namespace keyward
