#include "base/logging.h"

#include <gtest/gtest.h>

namespace keyward {
namespace {

TEST(JsonEscape, QuotesControlCharactersAndBackslashes) {
  EXPECT_EQ(JsonEscape("plain"), "plain");
  EXPECT_EQ(JsonEscape("say \"hi\"\n"), "say \\\"hi\\\"\\n");
  EXPECT_EQ(JsonEscape("a\\b\tc\x01"), "a\\\\b\\tc\\u0001");
  EXPECT_EQ(JsonEscape("k\xC3\xA4y"), "k\xC3\xA4y");  // UTF-8 passes through
}

}  // namespace
}  // namespace keyward
