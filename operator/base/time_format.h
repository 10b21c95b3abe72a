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

// Parses a Go-style duration extended with days and weeks: a sequence of
// <number><unit> with units ns, us, µs, ms, s, m, h, d (24h), w (7d);
// fractions allowed ("1.5h"). Returns nullopt on any error, on a negative
// value and on an empty string. Result is truncated to whole nanoseconds.
std::optional<std::chrono::nanoseconds> ParseDuration(std::string_view text);

// Formats a duration compactly, e.g. 90d, 1h30m, 45s.
std::string FormatDuration(std::chrono::nanoseconds d);

// Parses an RFC 3339 timestamp ("2027-01-01T00:00:00Z", fractional seconds
// and numeric offsets allowed). Returns nullopt when malformed.
std::optional<TimePoint> ParseRfc3339(std::string_view text);

// Formats as UTC with a Z suffix and second precision, as Kubernetes does.
std::string FormatRfc3339(TimePoint t);

}  // namespace keyward
