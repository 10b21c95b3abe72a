#include "check/usage_flusher.h"

#include <spdlog/spdlog.h>

#include "base/time_format.h"

namespace keyward {

std::optional<FlushedUsage> FlushedUsageOf(const ApiKeyStatus& status) {
  std::optional<TimePoint> as_of = ParseRfc3339(status.last_used_at);
  if (!as_of) return std::nullopt;
  return FlushedUsage{status.usage.today, status.usage.this_month, status.usage.total, *as_of};
}

web::json::value UsagePatch(const UsageSnapshot& usage) {
  using web::json::value;
  value u = value::object();
  u["today"] = value::number(static_cast<int64_t>(usage.today));
  u["thisMonth"] = value::number(static_cast<int64_t>(usage.this_month));
  u["total"] = value::number(static_cast<int64_t>(usage.total));
  value patch;
  patch["status"]["usage"] = u;
  patch["status"]["lastUsedAt"] = value::string(FormatRfc3339(usage.last_used));
  return patch;
}

UsageFlusher::UsageFlusher(KubeClient& kube, QuotaBook& book, std::chrono::milliseconds interval,
                           std::function<TimePoint()> now)
    : kube_(kube), book_(book), interval_(interval), now_(std::move(now)) {}

UsageFlusher::~UsageFlusher() { Stop(); }

FlushCounts UsageFlusher::FlushOnce() {
  FlushCounts counts;
  for (const UsageSnapshot& usage : book_.TakeChanged(now_())) {
    ResourcePath path{kApiVersion, "apikeys", usage.ref.namespace_name, usage.ref.name, "status"};
    KubeResult r = kube_.MergePatch(path, UsagePatch(usage));
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
