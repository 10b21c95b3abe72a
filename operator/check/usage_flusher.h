// Writes the usage counted in memory (QuotaBook) to each ApiKey's
// status.usage and status.lastUsedAt, in batches, and reads it back.
#pragma once
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "api/apikey.h"
#include "keys/quota_book.h"
#include "kube/kube_client.h"

namespace keyward {

// The counts an ApiKey's status holds, for QuotaBook's restore; nullopt
// when it holds none (never used, or no lastUsedAt to date them).
std::optional<FlushedUsage> FlushedUsageOf(const ApiKeyStatus& status);

// The status merge patch that writes |usage| (only usage and lastUsedAt):
// the day's and month's counts go into |history|'s daily (31 days at most)
// and monthly (12 months at most) lists, newest first.
web::json::value UsagePatch(const UsageSnapshot& usage, const Usage& history = {});

// What an ApiKey's status holds now (its daily and monthly lists), from the
// watch cache; nullopt when the ApiKey is not cached.
using UsageHistory = std::function<std::optional<Usage>(const ApiKeyRef&)>;

struct FlushCounts {
  int written = 0, failed = 0, gone = 0;  // gone: the ApiKey no longer exists
};

class UsageFlusher {
 public:
  UsageFlusher(KubeClient& kube, QuotaBook& book, std::chrono::milliseconds interval,
               std::function<TimePoint()> now = [] { return Clock::now(); },
               UsageHistory history = nullptr);
  ~UsageFlusher();

  // One batch: every key used since the last batch gets one status patch;
  // a failed write is retried in the next batch.
  FlushCounts FlushOnce();

  // Only while |may_write| holds (the leader: followers report their counts
  // to it instead); keys used meanwhile stay marked. Before Start.
  void OnlyWhen(std::function<bool()> may_write) { may_write_ = std::move(may_write); }

  // A thread that flushes every |interval|; Stop flushes one last time.
  void Start();
  void Stop();

 private:
  void Loop();

  KubeClient& kube_;
  QuotaBook& book_;
  const std::chrono::milliseconds interval_;
  const std::function<TimePoint()> now_;
  const UsageHistory history_;
  std::function<bool()> may_write_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace keyward
