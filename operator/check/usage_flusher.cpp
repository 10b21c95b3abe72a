#include "check/usage_flusher.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>

#include "base/time_format.h"

namespace keyward {

std::optional<FlushedUsage> FlushedUsageOf(const ApiKeyStatus& status) {
  std::optional<TimePoint> as_of = ParseRfc3339(status.last_used_at);
  if (!as_of) return std::nullopt;
  return FlushedUsage{status.usage.today, status.usage.this_month, status.usage.total, *as_of};
}

namespace {

// |periods| with |period| set to |count|, newest first, at most |keep|
// entries and none before |oldest|.
web::json::value PeriodList(std::vector<PeriodCount> periods, const std::string& period,
                            std::int64_t count, std::size_t keep, const std::string& oldest,
                            const char* field) {
  using web::json::value;
  bool found = false;
  for (PeriodCount& p : periods) {
    if (p.period == period) p.count = count, found = true;
  }
  if (!found) periods.push_back({period, count});
  std::sort(periods.begin(), periods.end(),
            [](const PeriodCount& a, const PeriodCount& b) { return a.period > b.period; });
  value list = value::array();
  std::size_t n = 0;
  for (const PeriodCount& p : periods) {
    if (n == keep || p.period < oldest) break;
    value item;
    item[field] = value::string(p.period);
    item["count"] = value::number(static_cast<int64_t>(p.count));
    list[n++] = item;
  }
  return list;
}

}  // namespace

web::json::value UsagePatch(const UsageSnapshot& usage, const Usage& history) {
  using web::json::value;
  value u = value::object();
  u["today"] = value::number(static_cast<int64_t>(usage.today));
  u["thisMonth"] = value::number(static_cast<int64_t>(usage.this_month));
  u["total"] = value::number(static_cast<int64_t>(usage.total));
  const std::string day = FormatRfc3339(usage.last_used).substr(0, 10);          // 2026-12-06
  const std::string oldest_day = FormatRfc3339(usage.last_used - std::chrono::hours(24 * 30)).substr(0, 10);
  const std::int64_t month = MonthNumber(usage.last_used) - 11;                    // 12 months back
  char oldest_month[48];
  std::snprintf(oldest_month, sizeof oldest_month, "%04lld-%02lld", static_cast<long long>(month / 12),
                static_cast<long long>(month % 12 + 1));
  u["daily"] = PeriodList(history.daily, day, usage.today, 31, oldest_day, "date");
  u["monthly"] = PeriodList(history.monthly, day.substr(0, 7), usage.this_month, 12, oldest_month, "month");
  value patch;
  patch["status"]["usage"] = u;
  patch["status"]["lastUsedAt"] = value::string(FormatRfc3339(usage.last_used));
  return patch;
}

UsageFlusher::UsageFlusher(KubeClient& kube, QuotaBook& book, std::chrono::milliseconds interval,
                           std::function<TimePoint()> now, UsageHistory history)
    : kube_(kube), book_(book), interval_(interval), now_(std::move(now)), history_(std::move(history)) {}

UsageFlusher::~UsageFlusher() { Stop(); }

FlushCounts UsageFlusher::FlushOnce() {
  FlushCounts counts;
  if (may_write_ && !may_write_()) return counts;
  for (const UsageSnapshot& usage : book_.TakeChanged(now_())) {
    ResourcePath path{kApiVersion, "apikeys", usage.ref.namespace_name, usage.ref.name, "status"};
    std::optional<Usage> history = history_ ? history_(usage.ref) : std::nullopt;
    KubeResult r = kube_.MergePatch(path, UsagePatch(usage, history.value_or(Usage{})));
    if (r.status.ok()) {
      ++counts.written;
    } else if (r.status.NotFound()) {
      book_.Forget(usage.ref);  // deleted: its counts go with it
      ++counts.gone;
    } else {
      book_.MarkUnwritten(usage.ref);
      ++counts.failed;
      spdlog::warn("writing usage of ApiKey {}: {} (retried in the next batch)",
                   usage.ref.String(), r.status.String());
    }
  }
  if (counts.written + counts.failed > 0) {
    spdlog::debug("usage flushed: {} written, {} failed", counts.written, counts.failed);
  }
  return counts;
}

void UsageFlusher::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { Loop(); });
}

void UsageFlusher::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (wake_.wait_for(lock, interval_, [this] { return stopping_; })) break;
    lock.unlock();
    FlushOnce();
    lock.lock();
  }
}

void UsageFlusher::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (!thread_.joinable()) return;  // never started: nothing was counted
  thread_.join();
  FlushOnce();  // the last batch: what was counted since the last tick
}

}  // namespace keyward
