#include "base/time_format.h"

#include <gtest/gtest.h>

namespace keyward {
namespace {

using namespace std::chrono;

TEST(ParseDuration, AcceptsDaysWeeksAndGoStyle) {
  EXPECT_EQ(ParseDuration("7d"), hours(24 * 7));
  EXPECT_EQ(ParseDuration("30d"), hours(24 * 30));
  EXPECT_EQ(ParseDuration("365d"), hours(24 * 365));
  EXPECT_EQ(ParseDuration("2w"), hours(24 * 14));
  EXPECT_EQ(ParseDuration("1h30m"), minutes(90));
  EXPECT_EQ(ParseDuration("1.5h"), minutes(90));
  EXPECT_EQ(ParseDuration("300ms"), milliseconds(300));
  EXPECT_EQ(ParseDuration("10us"), microseconds(10));
  EXPECT_EQ(ParseDuration("10\xC2\xB5s"), microseconds(10));
  EXPECT_EQ(ParseDuration("45s"), seconds(45));
  EXPECT_EQ(ParseDuration("0s"), seconds(0));
}

TEST(ParseDuration, RejectsGarbage) {
  for (const char* bad : {"", "forever", "30", "d", "1y", "-5m", "1h 30m", "1.h.5", "h1",
                          "99999999999999999999h"}) {
    EXPECT_FALSE(ParseDuration(bad).has_value()) << bad;
  }
}

TEST(FormatDuration, IsCompact) {
  EXPECT_EQ(FormatDuration(hours(24 * 90)), "90d");
  EXPECT_EQ(FormatDuration(minutes(90)), "1h30m");
  EXPECT_EQ(FormatDuration(seconds(0)), "0s");
}

TEST(Rfc3339, ParsesUtcOffsetsAndFractions) {
  auto t = ParseRfc3339("2027-01-01T00:00:00Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(duration_cast<seconds>(t->time_since_epoch()).count(), 1798761600);
  EXPECT_EQ(ParseRfc3339("2027-01-01T01:00:00+01:00"), t);
  EXPECT_EQ(ParseRfc3339("2026-12-31T19:00:00-05:00"), t);
  auto frac = ParseRfc3339("2027-01-01T00:00:00.250Z");
  ASSERT_TRUE(frac);
  EXPECT_EQ(duration_cast<milliseconds>(*frac - *t).count(), 250);
  EXPECT_EQ(FormatRfc3339(*t), "2027-01-01T00:00:00Z");
  EXPECT_TRUE(ParseRfc3339("2028-02-29T12:00:00Z"));  // leap day
}

TEST(Rfc3339, RejectsMalformed) {
  for (const char* bad : {"", "next tuesday", "2027-01-01", "2027-01-01T00:00:00",
                          "2027-13-01T00:00:00Z", "2027-02-29T00:00:00Z", "2027-01-01 00:00:00Z",
                          "2027-01-01T24:00:00Z", "2027-01-01T00:00:00Zjunk",
                          "2027-01-01T00:00:00+0100", "2027-01-01T00:00:00.Z"}) {
    EXPECT_FALSE(ParseRfc3339(bad).has_value()) << bad;
  }
}

TEST(ParseDuration, SaysWhenAWellFormedDurationIsTooLong) {
  bool too_long = true;
  EXPECT_EQ(ParseDuration("100000d", &too_long), hours(24 * 100000));  // 274 years still fits
  EXPECT_FALSE(too_long);
  EXPECT_FALSE(ParseDuration("1000000d", &too_long).has_value());
  EXPECT_TRUE(too_long);
  EXPECT_FALSE(ParseDuration("1000000x", &too_long).has_value());
  EXPECT_FALSE(too_long);  // not a duration at all
}

TEST(Rfc3339, FarFutureIsOutOfRangeNotPast) {
  const TimePoint now = *ParseRfc3339("2026-11-22T12:00:00Z");
  auto far = ParseRfc3339("2261-12-31T23:59:59Z");
  ASSERT_TRUE(far);
  EXPECT_GT(*far, now);
  EXPECT_EQ(FormatRfc3339(*far), "2261-12-31T23:59:59Z");
  for (const char* beyond : {"2300-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z"}) {
    bool out_of_range = false;
    EXPECT_FALSE(ParseRfc3339(beyond, &out_of_range).has_value()) << beyond;
    EXPECT_TRUE(out_of_range) << beyond;
  }
  bool out_of_range = true;
  EXPECT_FALSE(ParseRfc3339("9999-12-31", &out_of_range).has_value());
  EXPECT_FALSE(out_of_range);  // malformed, not out of range
  EXPECT_TRUE(ParseRfc3339(std::string(kLatestTimeText)).has_value());
}

TEST(AddSaturating, ClampsInsteadOfWrapping) {
  const TimePoint now = *ParseRfc3339("2026-11-22T12:00:00Z");
  EXPECT_EQ(AddSaturating(now, hours(1)), now + hours(1));
  EXPECT_EQ(AddSaturating(now, hours(24 * 100000)), TimePoint::max());
  EXPECT_EQ(AddSaturating(TimePoint::max(), nanoseconds(1)), TimePoint::max());
  EXPECT_EQ(AddSaturating(TimePoint::min(), -nanoseconds(1)), TimePoint::min());
  EXPECT_EQ(FormatRfc3339(TimePoint::max()), kLatestTimeText);
}

}  // namespace
}  // namespace keyward
