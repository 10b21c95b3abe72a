#include "keys/quota.h"

#include <ctime>

namespace keyward {

std::int64_t SecondNumber(TimePoint t) {
  return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::int64_t DayNumber(TimePoint t) {
  return std::chrono::floor<std::chrono::days>(t.time_since_epoch()).count();
}

std::int64_t MonthNumber(TimePoint t) {
  std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(t)};
  return static_cast<int>(ymd.year()) * 12LL + static_cast<unsigned>(ymd.month()) - 1;
}

namespace {

// Seconds from |now| until the start of the next window of the given kind.
Seconds UntilNext(const char* window, TimePoint now) {
  using namespace std::chrono;
  auto days_now = floor<days>(now);
  TimePoint next;
  if (window[0] == 's') {
    next = floor<seconds>(now) + seconds(1);
  } else if (window[0] == 'd') {
    next = days_now + days(1);
  } else {
    year_month_day ymd{days_now};
    year_month_day first_next = (ymd.year() / ymd.month() / 1) + months(1);
    next = sys_days(first_next);
  }
  return duration_cast<Seconds>(ceil<seconds>(next - now));
}

}  // namespace

QuotaResult QuotaCounter::Peek(const Limits& limits, TimePoint now) const {
  QuotaResult r;
  const std::int64_t s = SecondNumber(now), d = DayNumber(now), m = MonthNumber(now);
  struct Check {
    const OptionalLimit& limit;
    std::int64_t used;
    std::optional<std::int64_t>* remaining;
    const char* name;
  } checks[] = {{limits.per_second, second_.CountIn(s), &r.remaining_second, "second"},
                {limits.per_day, day_.CountIn(d), &r.remaining_day, "day"},
                {limits.per_month, month_.CountIn(m), &r.remaining_month, "month"}};
  for (auto& c : checks) {
    if (!c.limit) continue;
    std::int64_t left = *c.limit - c.used;
    *c.remaining = left > 0 ? left : 0;
    if (left <= 0 && r.allowed) {
      r.allowed = false;
      r.exceeded = c.name;
      r.retry_after = UntilNext(c.name, now);
    }
  }
  return r;
}

QuotaResult QuotaCounter::TryConsume(const Limits& limits, TimePoint now) {
  QuotaResult r = Peek(limits, now);
  if (!r.allowed) return r;
  const std::int64_t ids[] = {SecondNumber(now), DayNumber(now), MonthNumber(now)};
  Window* windows[] = {&second_, &day_, &month_};
  for (int i = 0; i < 3; ++i) {
    if (windows[i]->id != ids[i]) *windows[i] = Window{ids[i], 0};
    ++windows[i]->count;
  }
  ++total_;
  for (auto* rem : {&r.remaining_second, &r.remaining_day, &r.remaining_month}) {
    if (*rem) --**rem;
  }
  return r;
}

void QuotaCounter::Restore(std::int64_t today, std::int64_t this_month, std::int64_t total,
                           TimePoint as_of) {
  // Only add on top of counts made since the restart, so nothing is lost
  // when the restore races with the first requests.
  const std::int64_t d = DayNumber(as_of), m = MonthNumber(as_of);
  if (day_.id != d) day_ = Window{d, 0};
  if (month_.id != m) month_ = Window{m, 0};
  day_.count += today;
  month_.count += this_month;
  total_ += total;
}

std::int64_t QuotaCounter::today(TimePoint now) const { return day_.CountIn(DayNumber(now)); }
std::int64_t QuotaCounter::this_month(TimePoint now) const {
  return month_.CountIn(MonthNumber(now));
}

SharedCounts QuotaCounter::Shared() const {
  return SharedCounts{day_.id, day_.count, month_.id, month_.count, total_, TimePoint{}};
}

void QuotaCounter::SetShared(const SharedCounts& counts) {
  day_ = Window{counts.day_id, counts.day};
  month_ = Window{counts.month_id, counts.month};
  total_ = counts.total;
}

void QuotaCounter::Absorb(const SharedCounts& delta) { SetShared(Plus(Shared(), delta)); }

}  // namespace keyward
