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

// What an ApiKey's status holds of usage, and the resourceVersion it was
// read at (the flusher's write is conditional on it).
struct StoredUsage {
  Usage usage;
  std::optional<TimePoint> last_used;
  std::string resource_version;
};
StoredUsage StoredUsageOf(const web::json::value& apikey);

// What to write for |mine| over what status holds: status plus this
// replica's counts that status does not hold yet (mine.counts beyond
// mine.in_status), and never less than |mine| or than status (usage never
// goes backwards: not when a follower becomes leader with an old restore,
// not when two writers overlap). |history| gets the daily and monthly
// entries, each only raised.
struct MergedUsage {
  UsageSnapshot snapshot;
  Usage history;
};
MergedUsage MergeUsage(const UsageSnapshot& mine, const StoredUsage& stored);

// The status merge patch that writes |usage| (only usage and lastUsedAt):
// the day's and month's counts go into |history|'s daily (31 days at most)
// and monthly (12 months at most) lists, newest first; an entry is only
// ever raised. With |resource_version| the API server refuses it (409)
// when status changed since it was read.
web::json::value UsagePatch(const UsageSnapshot& usage, const Usage& history = {},
                            const std::string& resource_version = "");

// What an ApiKey's status holds now, from the watch cache; nullopt when the
// ApiKey is not cached.
using UsageHistory = std::function<std::optional<StoredUsage>(const ApiKeyRef&)>;

struct FlushCounts {
  int written = 0, failed = 0, gone = 0;  // gone: the ApiKey no longer exists
  int deferred = 0;                       // not written: leadership was lost during the batch
};

class UsageFlusher {
 public:
  UsageFlusher(KubeClient& kube, QuotaBook& book, std::chrono::milliseconds interval,
               std::function<TimePoint()> now = [] { return Clock::now(); },
               UsageHistory history = nullptr);
  ~UsageFlusher();

  // One batch: every key used since the last batch gets one status patch
  // (two when status changed since the cache read it: it is read again and
  // merged again); a failed write is retried in the next batch.
  FlushCounts FlushOnce();

  // Only while |may_write| holds (the leader: followers report their counts
  // to it instead), checked before each write; keys not written stay
  // marked. Before Start.
  void OnlyWhen(std::function<bool()> may_write) { may_write_ = std::move(may_write); }

  // A thread that flushes every |interval|; Stop flushes one last time.
  void Start();
  void Stop();

 private:
  void Loop();
  // Writes one key's usage, merged with status; the API's answer.
  KubeStatus Write(const UsageSnapshot& usage);

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
