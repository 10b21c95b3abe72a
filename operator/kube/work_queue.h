// A work queue of object keys ("namespace/name") for controller workers, in
// the manner of client-go's rate-limited delaying queue. Thread-safe.
//
// Guarantees: a key is handed to at most one worker at a time; a key added
// while it is being processed is processed again after Done(); a key added
// several times before a worker takes it is processed once; of several
// delayed adds of one key, the earliest deadline wins. Keys added with low
// priority (a list's every object) wait while any other key is ready, so a
// change made now is not queued behind ten thousand unchanged objects
// (controller-runtime's priority queue does the same).
#pragma once
#include <chrono>
#include <cstdint>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <deque>

#include "base/backoff.h"

namespace keyward {


class WorkQueue {
 public:
  using SteadyClock = std::chrono::steady_clock;

  // Per-item backoff: 5 ms * 2^failures, capped at 1000 s (client-go's).
  explicit WorkQueue(BackoffPolicy backoff = {}) : backoff_(backoff) {}
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // The longest AddAfter delay; a longer one is cut to it.
  static constexpr std::chrono::milliseconds kLongestDelay = std::chrono::hours(24 * 365);

  void Add(const std::string& key);
  // Behind every key added with Add; an Add of a key waiting here moves it
  // to the front lane.
  void AddLowPriority(std::string key);
  void AddAfter(const std::string& key, std::chrono::milliseconds delay);
  // Re-adds |key| after its backoff delay and counts a failure.
  void AddRateLimited(const std::string& key);
  // Clears the failure count of |key| (call after a successful reconcile).
  void Forget(const std::string& key);
  int Failures(const std::string& key) const;
  // |key|'s object is gone: its delayed re-add (an expiry or rotation
  // wake-up, a retry's backoff) and its failure count go too, so deleted
  // keys leave nothing waiting. A key queued now still runs once.
  void Drop(const std::string& key);
  std::size_t Delayed() const;  // keys waiting for a deadline

  // Blocks until a key is ready or the queue shuts down (nullopt; after
  // ShutDown always nullopt, even with keys queued).
  std::optional<std::string> Get();
  // Marks |key| as no longer being processed.
  void Done(const std::string& key);

  // Get hands out nothing more; keys being processed are still Done.
  void ShutDown();
  std::size_t Len() const;  // keys ready now

 private:
  // Keys queued or to re-queue, and whether one waits in the low lane.
  // The low lane is a list threaded through this table's nodes (which
  // never move), so a listed key's name is held once, not twice: after a
  // list of 100,000 objects every key waits there.
  enum class Lane : std::uint8_t { kFront, kLow };
  struct Dirty;
  using DirtyNode = std::pair<const std::string, Dirty>;
  struct Dirty {
    Lane lane = Lane::kFront;
    DirtyNode* prev = nullptr;  // low lane only
    DirtyNode* next = nullptr;
  };

  void AddLocked(const std::string& key);
  void PromoteDueLocked(SteadyClock::time_point now);
  void LinkLowLocked(DirtyNode* node);
  void UnlinkLowLocked(DirtyNode* node);

  const BackoffPolicy backoff_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::unordered_map<std::string, Dirty> dirty_;
  DirtyNode* low_head_ = nullptr;  // oldest key in the low lane
  DirtyNode* low_tail_ = nullptr;
  std::size_t low_waiting_ = 0;  // keys whose lane is kLow
  std::unordered_set<std::string> processing_;
  // Every key in delayed_at_ has one entry in delayed_, which points at the
  // key in delayed_at_'s node (nodes never move): one copy of each name.
  std::unordered_map<std::string, SteadyClock::time_point> delayed_at_;
  std::multimap<SteadyClock::time_point, const std::string*> delayed_;
  std::unordered_map<std::string, int> failures_;
  bool shutting_down_ = false;
};

}  // namespace keyward
