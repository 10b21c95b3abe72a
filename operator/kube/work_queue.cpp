#include "kube/work_queue.h"

#include <algorithm>

namespace keyward {

void WorkQueue::LinkLowLocked(DirtyNode* node) {
  node->second.lane = Lane::kLow;
  node->second.prev = low_tail_;
  node->second.next = nullptr;
  (low_tail_ ? low_tail_->second.next : low_head_) = node;
  low_tail_ = node;
  ++low_waiting_;
}

void WorkQueue::UnlinkLowLocked(DirtyNode* node) {
  Dirty& d = node->second;
  (d.prev ? d.prev->second.next : low_head_) = d.next;
  (d.next ? d.next->second.prev : low_tail_) = d.prev;
  d = Dirty{};
  --low_waiting_;
}

void WorkQueue::AddLocked(const std::string& key) {
  if (shutting_down_) return;
  auto it = dirty_.find(key);
  if (it != dirty_.end()) {
    if (it->second.lane == Lane::kLow) {
      UnlinkLowLocked(&*it);
      queue_.push_back(key);
      cv_.notify_one();
    }
    return;
  }
  dirty_.try_emplace(key);
  if (processing_.count(key)) return;  // re-queued by Done()
  queue_.push_back(key);
  cv_.notify_one();
}

void WorkQueue::Add(const std::string& key) {
  std::lock_guard lock(mu_);
  AddLocked(key);
}

void WorkQueue::AddLowPriority(std::string key) {
  std::lock_guard lock(mu_);
  if (shutting_down_ || dirty_.count(key)) return;
  const bool processing = processing_.count(key) > 0;
  auto it = dirty_.try_emplace(std::move(key)).first;
  if (processing) return;  // re-queued by Done()
  LinkLowLocked(&*it);
  cv_.notify_one();
}

void WorkQueue::AddAfter(const std::string& key, std::chrono::milliseconds delay) {
  if (delay.count() <= 0) return Add(key);
  // A wake-up years away (an expiry in 2262) comes back after a year
  // instead of overflowing the clock; the reconciler computes it again.
  delay = std::min<std::chrono::milliseconds>(delay, kLongestDelay);
  std::lock_guard lock(mu_);
  if (shutting_down_) return;
  auto when = SteadyClock::now() + delay;
  auto [it, added] = delayed_at_.try_emplace(key, when);
  if (!added) {
    if (it->second <= when) return;  // earliest deadline wins
    auto range = delayed_.equal_range(it->second);
    for (auto d = range.first; d != range.second; ++d) {
      if (d->second == &it->first) {
        delayed_.erase(d);
        break;
      }
    }
    it->second = when;
  }
  // A sleeping Get() wakes at the earliest deadline; only a new earliest
  // changes that (a reconcile's every requeue woke every worker).
  const bool earliest = delayed_.empty() || when < delayed_.begin()->first;
  delayed_.emplace(when, &it->first);
  if (earliest) cv_.notify_all();
}

void WorkQueue::AddRateLimited(const std::string& key) {
  int failures;
  {
    std::lock_guard lock(mu_);
    failures = failures_[key]++;
  }
  AddAfter(key, backoff_.Delay(failures));
}

void WorkQueue::Forget(const std::string& key) {
  std::lock_guard lock(mu_);
  failures_.erase(key);
}

void WorkQueue::Drop(const std::string& key) {
  std::lock_guard lock(mu_);
  failures_.erase(key);
  auto it = delayed_at_.find(key);
  if (it == delayed_at_.end()) return;
  auto range = delayed_.equal_range(it->second);
  for (auto d = range.first; d != range.second; ++d) {
    if (d->second == &it->first) {
      delayed_.erase(d);
      break;
    }
  }
  delayed_at_.erase(it);
}

std::size_t WorkQueue::Delayed() const {
  std::lock_guard lock(mu_);
  return delayed_at_.size();
}

int WorkQueue::Failures(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

void WorkQueue::PromoteDueLocked(SteadyClock::time_point now) {
  while (!delayed_.empty() && delayed_.begin()->first <= now) {
    std::string key = *delayed_.begin()->second;
    delayed_.erase(delayed_.begin());
    delayed_at_.erase(key);
    AddLocked(key);
  }
}

std::optional<std::string> WorkQueue::Get() {
  std::unique_lock lock(mu_);
  while (true) {
    // After ShutDown nothing more is handed out, queued or not: workers
    // finish what they hold and stop (a shutdown is not a drain).
    if (shutting_down_) return std::nullopt;
    PromoteDueLocked(SteadyClock::now());
    if (queue_.empty() && low_head_) {
      DirtyNode* oldest = low_head_;
      UnlinkLowLocked(oldest);
      queue_.push_back(oldest->first);
    }
    if (!queue_.empty()) break;
    if (delayed_.empty()) {
      cv_.wait(lock);
    } else {
      // Copy: the node may be erased by another thread while we wait.
      const SteadyClock::time_point next = delayed_.begin()->first;
      cv_.wait_until(lock, next);
    }
  }
  std::string key = std::move(queue_.front());
  queue_.pop_front();
  processing_.insert(key);
  dirty_.erase(key);
  return key;
}

void WorkQueue::Done(const std::string& key) {
  std::lock_guard lock(mu_);
  processing_.erase(key);
  if (dirty_.count(key)) {
    queue_.push_back(key);
    cv_.notify_one();
  }
}

void WorkQueue::ShutDown() {
  std::lock_guard lock(mu_);
  shutting_down_ = true;
  // The low lane (resyncs) is dropped: nothing waits for it any more.
  while (low_head_) {
    const std::string key = low_head_->first;
    UnlinkLowLocked(low_head_);
    dirty_.erase(key);
  }
  cv_.notify_all();
}

std::size_t WorkQueue::Len() const {
  std::lock_guard lock(mu_);
  return queue_.size() + low_waiting_;
}

}  // namespace keyward
