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
    if (p.period == period) p.count = std::max(p.count, count), found = true;
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

std::string MonthText(std::int64_t month_number) {
  char text[48];
  std::snprintf(text, sizeof text, "%04lld-%02lld", static_cast<long long>(month_number / 12),
                static_cast<long long>(month_number % 12 + 1));
  return text;
}

std::string DayText(std::int64_t day_number) {
  return FormatRfc3339(TimePoint(std::chrono::hours(24 * day_number))).substr(0, 10);
}

// Adds |count| to |periods|' entry for |period| (makes it when absent).
void AddToEntry(std::vector<PeriodCount>* periods, const std::string& period, std::int64_t count) {
  for (PeriodCount& p : *periods) {
    if (p.period == period) {
      p.count += count;
      return;
    }
  }
  periods->push_back({period, count});
}

// The most a count read back from status is taken for (10^15: thirty years
// at a million requests a second), so status plus this replica's counts
// cannot overflow.
constexpr std::int64_t kMaxStoredCount = 1'000'000'000'000'000;

SharedCounts CountsOf(const StoredUsage& stored) {
  if (!stored.last_used) return SharedCounts{-1, 0, -1, 0, stored.usage.total, TimePoint{}};
  return SharedCounts{DayNumber(*stored.last_used), stored.usage.today, MonthNumber(*stored.last_used),
                      stored.usage.this_month, stored.usage.total, *stored.last_used};
}

}  // namespace

StoredUsage StoredUsageOf(const web::json::value& apikey) {
  FieldErrors ignored;
  ApiKey key = ParseApiKey(apikey, &ignored);
  // Status is read back, and whoever may write it may write anything: a
  // negative count or one near INT64_MAX must not make a sum overflow.
  Usage& u = key.status.usage;
  for (std::int64_t* n : {&u.today, &u.this_month, &u.total}) *n = std::clamp<std::int64_t>(*n, 0, kMaxStoredCount);
  for (auto* list : {&u.daily, &u.monthly}) {
    for (PeriodCount& p : *list) p.count = std::clamp<std::int64_t>(p.count, 0, kMaxStoredCount);
  }
  return StoredUsage{u, ParseRfc3339(key.status.last_used_at), key.metadata.resource_version};
}

MergedUsage MergeUsage(const UsageSnapshot& mine, const StoredUsage& stored) {
  const SharedCounts own = Minus(mine.counts, mine.in_status);
  const SharedCounts status = CountsOf(stored);
  const SharedCounts merged = Larger(Larger(Plus(status, own), mine.counts), status);
  MergedUsage out;
  out.history = stored.usage;
  // This replica's counts of an earlier day (month) than the one written:
  // status's entry for that day lacks them.
  if (own.day > 0 && own.day_id >= 0 && own.day_id != merged.day_id) {
    AddToEntry(&out.history.daily, DayText(own.day_id), own.day);
  }
  if (own.month > 0 && own.month_id >= 0 && own.month_id != merged.month_id) {
    AddToEntry(&out.history.monthly, MonthText(own.month_id), own.month);
  }
  out.snapshot = mine;
  out.snapshot.last_used = merged.last_used;
  out.snapshot.today = merged.day_id == DayNumber(merged.last_used) ? merged.day : 0;
  out.snapshot.this_month = merged.month_id == MonthNumber(merged.last_used) ? merged.month : 0;
  out.snapshot.total = merged.total;
  out.snapshot.counts = merged;
  return out;
}

web::json::value UsagePatch(const UsageSnapshot& usage, const Usage& history,
                            const std::string& resource_version) {
  using web::json::value;
  value u = value::object();
  u["today"] = value::number(static_cast<int64_t>(usage.today));
  u["thisMonth"] = value::number(static_cast<int64_t>(usage.this_month));
  u["total"] = value::number(static_cast<int64_t>(usage.total));
  const std::string day = FormatRfc3339(usage.last_used).substr(0, 10);          // 2026-12-06
  const std::string oldest_day = FormatRfc3339(usage.last_used - std::chrono::hours(24 * 30)).substr(0, 10);
  const std::string oldest_month = MonthText(MonthNumber(usage.last_used) - 11);  // 12 months back
  u["daily"] = PeriodList(history.daily, day, usage.today, 31, oldest_day, "date");
  u["monthly"] = PeriodList(history.monthly, day.substr(0, 7), usage.this_month, 12, oldest_month, "month");
  value patch;
  if (!resource_version.empty()) patch["metadata"]["resourceVersion"] = value::string(resource_version);
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
    if (may_write_ && !may_write_()) {  // leadership lost mid-batch: no write from here on
      book_.MarkUnwritten(usage.ref);
      ++counts.deferred;
      continue;
    }
    KubeStatus written = Write(usage);
    if (written.ok()) {
      ++counts.written;
    } else if (written.NotFound()) {
      book_.Forget(usage.ref);  // deleted: its counts go with it
      ++counts.gone;
    } else {
      book_.MarkUnwritten(usage.ref);
      ++counts.failed;
      spdlog::warn("writing usage of ApiKey {}: {} (retried in the next batch)",
                   usage.ref.String(), written.String());
    }
  }
  if (counts.written + counts.failed + counts.deferred > 0) {
    spdlog::debug("usage flushed: {} written, {} failed, {} deferred", counts.written, counts.failed,
                  counts.deferred);
  }
  return counts;
}

KubeStatus UsageFlusher::Write(const UsageSnapshot& usage) {
  const ResourcePath path{kApiVersion, "apikeys", usage.ref.namespace_name, usage.ref.name, "status"};
  std::optional<StoredUsage> stored = history_ ? history_(usage.ref) : std::nullopt;
  for (int attempt = 0;; ++attempt) {
    MergedUsage merged = stored ? MergeUsage(usage, *stored) : MergedUsage{usage, Usage{}};
    KubeResult r = kube_.MergePatch(
        path, UsagePatch(merged.snapshot, merged.history, stored ? stored->resource_version : ""));
    if (r.status.ok()) {
      book_.Settle(usage.ref, usage.counts, merged.snapshot.counts);
      return r.status;
    }
    if (!r.status.Conflict() || attempt > 0) return r.status;
    // Status changed since the cache read it (another replica wrote usage,
    // the controller wrote status): read it and merge again.
    ResourcePath object = path;
    object.subresource.clear();
    KubeResult got = kube_.Get(object);
    if (!got.status.ok()) return got.status;
    stored = StoredUsageOf(got.body);
  }
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
