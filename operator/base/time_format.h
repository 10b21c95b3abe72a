// Time values as ApiKey manifests write them: RFC 3339 timestamps and
// durations ("90d", "1h30m", "1w"). Pure functions, thread-safe.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace keyward {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;
using Seconds = std::chrono::seconds;

// The last instant a TimePoint holds (signed 64-bit nanoseconds since
// 1970). Later timestamps are refused when parsed, never wrapped.
inline constexpr std::string_view kLatestTimeText = "2262-04-11T23:47:16Z";

// Parses a Go-style duration extended with days and weeks: a sequence of
// <number><unit> with units ns, us, µs, ms, s, m, h, d (24h), w (7d);
// fractions allowed ("1.5h"). Returns nullopt on any error, on a negative
// value, on an empty string and on a total over ~292 years (the range of
// 64-bit nanoseconds; *too_long is then set). Truncated to whole nanoseconds.
std::optional<std::chrono::nanoseconds> ParseDuration(std::string_view text, bool* too_long = nullptr);

// Formats a duration compactly, e.g. 90d, 1h30m, 45s.
std::string FormatDuration(std::chrono::nanoseconds d);

// Parses an RFC 3339 timestamp ("2027-01-01T00:00:00Z", fractional seconds
// and numeric offsets allowed). Returns nullopt when malformed or outside
// the range of a TimePoint (about 1677 to kLatestTimeText; *out_of_range is
// then set).
std::optional<TimePoint> ParseRfc3339(std::string_view text, bool* out_of_range = nullptr);

// t + d, clamped to the range of a TimePoint instead of wrapping around.
TimePoint AddSaturating(TimePoint t, std::chrono::nanoseconds d);

// Formats as UTC with a Z suffix and second precision, as Kubernetes does.
std::string FormatRfc3339(TimePoint t);

// Kubernetes MicroTime: RFC 3339 with microseconds, UTC (Lease times, and
// a Secret's minted-at, where a second is too coarse).
std::string FormatMicroTime(TimePoint t);

}  // namespace keyward
