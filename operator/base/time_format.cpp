#include "base/time_format.h"

#include <cmath>
#include <cstdio>
#include <ctime>

namespace keyward {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's
// algorithm), so no timegm/TZ dependence.
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool ReadFixed(std::string_view s, std::size_t pos, std::size_t len, int* out) {
  if (pos + len > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + len; ++i) {
    if (!IsDigit(s[i])) return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

unsigned DaysInMonth(int y, int m) {
  static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

}  // namespace

std::optional<std::chrono::nanoseconds> ParseDuration(std::string_view text, bool* too_long) {
  if (too_long) *too_long = false;
  if (text.empty()) return std::nullopt;
  long double total_ns = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t start = i;
    while (i < text.size() && IsDigit(text[i])) ++i;
    bool have_int = i > start;
    bool have_frac = false;
    if (i < text.size() && text[i] == '.') {
      ++i;
      std::size_t frac_start = i;
      while (i < text.size() && IsDigit(text[i])) ++i;
      have_frac = i > frac_start;
    }
    if (!have_int && !have_frac) return std::nullopt;
    std::string number(text.substr(start, i - start));
    long double value = std::strtold(number.c_str(), nullptr);
    std::size_t unit_start = i;
    while (i < text.size() && !IsDigit(text[i]) && text[i] != '.') ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    long double scale;
    if (unit == "ns") scale = 1;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") scale = 1e3;
    else if (unit == "ms") scale = 1e6;
    else if (unit == "s") scale = 1e9;
    else if (unit == "m") scale = 60e9;
    else if (unit == "h") scale = 3600e9;
    else if (unit == "d") scale = 86400e9;
    else if (unit == "w") scale = 7 * 86400e9;
    else return std::nullopt;
    total_ns += value * scale;
  }
  // Cap at ~292 years, the range of a signed 64-bit nanosecond count; the
  // whole text was read, so it is a duration, only too long.
  if (total_ns > 9.2e18L) {
    if (too_long) *too_long = true;
    return std::nullopt;
  }
  return std::chrono::nanoseconds(static_cast<std::int64_t>(total_ns));
}

std::string FormatDuration(std::chrono::nanoseconds d) {
  using namespace std::chrono;
  if (d.count() == 0) return "0s";
  std::string out;
  auto secs = duration_cast<seconds>(d).count();
  auto sub = d.count() - secs * 1000000000LL;
  const std::pair<std::int64_t, const char*> units[] = {
      {86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}};
  for (auto [size, name] : units) {
    if (secs >= size) {
      out += std::to_string(secs / size) + name;
      secs %= size;
    }
  }
  if (sub != 0) out += std::to_string(sub) + "ns";
  return out;
}

std::optional<TimePoint> ParseRfc3339(std::string_view s, bool* out_of_range) {
  if (out_of_range) *out_of_range = false;
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
  int year, mon, day, hour, min, sec;
  if (!ReadFixed(s, 0, 4, &year) || s.size() < 20 || s[4] != '-' || !ReadFixed(s, 5, 2, &mon) ||
      s[7] != '-' || !ReadFixed(s, 8, 2, &day) || (s[10] != 'T' && s[10] != 't') ||
      !ReadFixed(s, 11, 2, &hour) || s[13] != ':' || !ReadFixed(s, 14, 2, &min) || s[16] != ':' ||
      !ReadFixed(s, 17, 2, &sec)) {
    return std::nullopt;
  }
  if (mon < 1 || mon > 12 || day < 1 || static_cast<unsigned>(day) > DaysInMonth(year, mon) ||
      hour > 23 || min > 59 || sec > 60) {
    return std::nullopt;
  }
  std::size_t i = 19;
  std::int64_t nanos = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    std::size_t start = i;
    std::int64_t scale = 100000000;
    while (i < s.size() && IsDigit(s[i])) {
      nanos += (s[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
    if (i == start) return std::nullopt;
  }
  if (i >= s.size()) return std::nullopt;
  std::int64_t offset = 0;
  if (s[i] == 'Z' || s[i] == 'z') {
    ++i;
  } else if (s[i] == '+' || s[i] == '-') {
    int oh, om;
    if (!ReadFixed(s, i + 1, 2, &oh) || i + 3 >= s.size() || s[i + 3] != ':' ||
        !ReadFixed(s, i + 4, 2, &om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset = (oh * 3600 + om * 60) * (s[i] == '+' ? 1 : -1);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  std::int64_t secs = DaysFromCivil(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec - offset;
  // Refused rather than wrapped when a TimePoint cannot hold it.
  std::int64_t count;
  if (__builtin_mul_overflow(secs, std::int64_t{1000000000}, &count) ||
      __builtin_add_overflow(count, nanos, &count)) {
    if (out_of_range) *out_of_range = true;
    return std::nullopt;
  }
  return TimePoint(std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(count)));
}

TimePoint AddSaturating(TimePoint t, std::chrono::nanoseconds d) {
  const Clock::duration::rep base = t.time_since_epoch().count();
  const Clock::duration::rep add = std::chrono::duration_cast<Clock::duration>(d).count();
  Clock::duration::rep sum;
  if (__builtin_add_overflow(base, add, &sum)) return add > 0 ? TimePoint::max() : TimePoint::min();
  return TimePoint(Clock::duration(sum));
}

std::string FormatRfc3339(TimePoint t) {
  std::time_t tt = Clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string FormatMicroTime(TimePoint t) {
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(micros / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof(buf) - n, ".%06lldZ", static_cast<long long>(micros % 1000000));
  return buf;
}

}  // namespace keyward
