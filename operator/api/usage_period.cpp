#include "api/usage_period.h"

#include <algorithm>
#include <cstdio>

namespace keyward {

namespace {

int DaysIn(int year, int month) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

std::string MonthText(int year, int month) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d", year % 10000, month);
  return buf;
}

std::int64_t SumDaily(const Usage& usage, const std::string& from, const std::string& to) {
  std::int64_t n = 0;
  for (const PeriodCount& d : usage.daily) {
    if (d.period >= from && d.period <= to) n += d.count;
  }
  return n;
}

}  // namespace

bool IsDate(const std::string& t) {
  if (t.size() != 10 || t[4] != '-' || t[7] != '-') return false;
  for (int i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (t[i] < '0' || t[i] > '9') return false;
  }
  int year = std::stoi(t.substr(0, 4)), month = std::stoi(t.substr(5, 2)), day = std::stoi(t.substr(8, 2));
  return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= DaysIn(year, month);
}

PeriodSum RequestsBetween(const Usage& usage, const std::string& from, const std::string& to) {
  PeriodSum sum;
  if (!IsDate(from) || !IsDate(to) || from > to) return sum;
  // The oldest day the daily list surely holds: when it is full, its oldest
  // entry; days before may have been dropped.
  std::string daily_from;
  if (usage.daily.size() >= 31) {
    daily_from = std::min_element(usage.daily.begin(), usage.daily.end(),
                                  [](const PeriodCount& a, const PeriodCount& b) { return a.period < b.period; })
                     ->period;
  }
  int year = std::stoi(from.substr(0, 4)), month = std::stoi(from.substr(5, 2));
  const std::string last_month = to.substr(0, 7);
  for (std::string m = MonthText(year, month); m <= last_month;
       month = month == 12 ? 1 : month + 1, year += month == 1 ? 1 : 0, m = MonthText(year, month)) {
    const std::string first_day = m + "-01";
    const std::string last_day = m + "-" + (DaysIn(year, month) < 10 ? "0" : "") + std::to_string(DaysIn(year, month));
    if (from <= first_day && to >= last_day) {
      auto it = std::find_if(usage.monthly.begin(), usage.monthly.end(),
                             [&](const PeriodCount& p) { return p.period == m; });
      sum.requests += it == usage.monthly.end() ? SumDaily(usage, first_day, last_day) : it->count;
      continue;
    }
    const std::string a = std::max(from, first_day), b = std::min(to, last_day);
    sum.requests += SumDaily(usage, a, b);
    if (!daily_from.empty() && a < daily_from) sum.complete = false;
  }
  return sum;
}

}  // namespace keyward
