// Runs a reconcile function over a WorkQueue with N worker threads and
// applies its Action: requeue after a delay, await a change, or retry with
// per-item backoff.
// The runner, not the reconciler, owns retries. Start/Stop are not reentrant.
#pragma once
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "kube/work_queue.h"

namespace keyward {

// What the runner does after a reconcile, in the spirit of kube-rs:
// Requeue(after) comes back at a time, AwaitChange waits for the watch, and
// Retry(error) is a failure the runner retries with per-item backoff.
class Action {
 public:
  enum class Kind { kAwaitChange, kRequeue, kRetry };

  static Action AwaitChange() { return Action(Kind::kAwaitChange, {}, ""); }
  static Action Requeue(std::chrono::milliseconds after) { return Action(Kind::kRequeue, after, ""); }
  static Action Retry(std::string error) { return Action(Kind::kRetry, {}, std::move(error)); }

  Kind kind() const { return kind_; }
  bool failed() const { return kind_ == Kind::kRetry; }
  // kRequeue: when to come back.
  std::chrono::milliseconds requeue_after() const { return after_; }
  // kRetry: why (never contains a key).
  const std::string& error() const { return error_; }

 private:
  Action(Kind kind, std::chrono::milliseconds after, std::string error)
      : kind_(kind), after_(after), error_(std::move(error)) {}
  Kind kind_;
  std::chrono::milliseconds after_;
  std::string error_;
};

class ControllerRunner {
 public:
  using ReconcileFn = std::function<Action(const std::string& key)>;

  ControllerRunner(WorkQueue& queue, ReconcileFn reconcile, int workers)
      : queue_(queue), reconcile_(std::move(reconcile)), workers_(workers) {}
  ~ControllerRunner() { Stop(); }

  void Start();
  // Shuts the queue down and waits for in-flight reconciles to finish.
  void Stop();

 private:
  void Work();

  WorkQueue& queue_;
  const ReconcileFn reconcile_;
  const int workers_;
  std::vector<std::thread> threads_;
};

}  // namespace keyward
