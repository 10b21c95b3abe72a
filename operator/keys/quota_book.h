// The quota and usage counters of every ApiKey (per second, UTC day, UTC
// month, total, last use), keyed by namespace/name. Thread-safe: one lock for
// the map, one per key.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/rw_mutex.h"

#include "keys/key_index.h"
#include "keys/quota.h"
#include "keys/shared_counts.h"

namespace keyward {

// Counts as last written to an ApiKey's status (status.usage, lastUsedAt).
struct FlushedUsage {
  std::int64_t today = 0, this_month = 0, total = 0;
  TimePoint as_of{};  // status.lastUsedAt: the day and month the counts belong to
};

// One ApiKey's counts as of its last use (today and this_month are those
// of last_used's UTC day and month), to be written to its status.
struct UsageSnapshot {
  ApiKeyRef ref;
  std::int64_t today = 0, this_month = 0, total = 0;
  TimePoint last_used{};
  // The same counts with their windows, and the part of them that status
  // already holds (restored from it, written to it, or the leader's to
  // write): the rest is this replica's own, not yet in status.
  SharedCounts counts;
  SharedCounts in_status;
};

class QuotaBook {
 public:
  // |restore| gives the counts an ApiKey's status held when this process
  // first counts a request for it (nullopt: none); it is asked once per key.
  using UsageSource = std::function<std::optional<FlushedUsage>(const ApiKeyRef&)>;

  explicit QuotaBook(UsageSource restore = nullptr) : restore_(std::move(restore)) {}
  QuotaBook(const QuotaBook&) = delete;
  QuotaBook& operator=(const QuotaBook&) = delete;

  // Counts one request of |ref| at |now| if every limit has room (no limits:
  // always counted); a counted request also marks the key used.
  QuotaResult TryConsume(const ApiKeyRef& ref, const Limits& limits, TimePoint now);
  // Remaining amounts without counting.
  QuotaResult Peek(const ApiKeyRef& ref, const Limits& limits, TimePoint now) const;
  // Marks the key used at |now| without counting a request (TokenReview).
  void Touch(const ApiKeyRef& ref, TimePoint now);
  void Forget(const ApiKeyRef& ref);

  // The keys used since the last call, with their counts at |now|; they
  // count as written until MarkUnwritten puts one back.
  std::vector<UsageSnapshot> TakeChanged(TimePoint now);
  void MarkUnwritten(const ApiKeyRef& ref);
  // The flusher wrote |written| to status, which holds |taken| (the
  // snapshot's counts) and what other replicas counted: the book counts
  // those too (quotas do not reset when another replica wrote more), and
  // from now on only counts beyond |written| are this replica's own.
  void Settle(const ApiKeyRef& ref, const SharedCounts& taken, const SharedCounts& written);

  // Replication (keys/quota_book_sync.cpp, docs/replicas.md).
  struct Report {
    ApiKeyRef ref;
    SharedCounts counts;  // cumulative since the leader's epoch began, or the leader's counts
    SharedCounts sent;    // (follower) the part not acknowledged when it was taken
  };
  // A follower counts what it has not yet reported; the leader does not.
  // Turning it off (leader now) drops the follower's bookkeeping: its counts
  // are the leader's from then on.
  void SetReporting(bool reporting);
  bool reporting() const { return reporting_.load(); }
  // Follower: the leader's epoch changed, nothing was reported to it yet.
  void StartEpoch();
  // Follower: every key with counts the leader has not acknowledged.
  std::vector<Report> PrepareReport() const;
  // Follower: the leader took |sent|.
  void Acknowledge(const std::vector<Report>& sent);
  // Follower: the leader's counts of a key; this replica's unacknowledged
  // counts stay on top of them.
  void ApplyLeaderCounts(const ApiKeyRef& ref, const SharedCounts& leader);
  // Leader: adds a follower's new counts.
  void Absorb(const ApiKeyRef& ref, const SharedCounts& delta);
  // Leader: the keys whose counts changed after version |since|, and the
  // version now.
  std::vector<Report> ChangedSince(std::uint64_t since, std::uint64_t* version) const;

 private:
  struct Entry {
    std::mutex mu;
    QuotaCounter counter;
    TimePoint last_used{};
    bool changed = false;
    std::uint64_t version = 0;  // the book's version at its last change
    SharedCounts unacked;       // follower: counted here, not acknowledged by the leader
    SharedCounts reported;      // follower: acknowledged by the leader this epoch
    SharedCounts in_status;     // what status holds (or the leader answers for) of the counts
  };
  std::vector<std::pair<std::string, std::shared_ptr<Entry>>> All() const;
  std::shared_ptr<Entry> Find(const std::string& id) const;
  std::shared_ptr<Entry> FindOrAdd(const ApiKeyRef& ref);

  const UsageSource restore_;
  mutable RwMutex mu_;  // writers first: readers never starve an update
  std::unordered_map<std::string, std::shared_ptr<Entry>> entries_;  // "namespace/name"
  std::atomic<std::uint64_t> version_{0};
  std::atomic<bool> reporting_{false};
};

}  // namespace keyward
