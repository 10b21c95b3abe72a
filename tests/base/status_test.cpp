#include "base/status.h"

#include <gtest/gtest.h>

namespace keyward {
namespace {

TEST(Status, OkHasNoMessage) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.message(), "");
  EXPECT_TRUE(s.Prefixed("ignored").ok());
}

TEST(Status, ErrorCarriesItsMessageAndContext) {
  Status s = Status::Error("connection refused");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.Prefixed("reading pepper").message(), "reading pepper: connection refused");
  EXPECT_EQ(Status::Error("").message(), "unknown error");  // never an empty error
}

TEST(Result, HoldsAValueOrAnError) {
  Result<int> good = 7;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 7);
  Result<std::string> bad = Status::Error("no such file");
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "no such file");
}

}  // namespace
}  // namespace keyward
