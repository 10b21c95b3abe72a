// Runs a reconcile function over a WorkQueue with N worker threads and
// applies its Action: requeue after a delay, or retry with per-item backoff.
// The runner, not the reconciler, owns retries. Start/Stop are not reentrant.
#pragma once
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "work_queue.h"

namespace keyward {

struct ReconcileOutcome {
  std::optional<std::chrono::milliseconds> requeue_after;
  bool failed = false;
  std::string error;
};

class ControllerRunner {
 public:
  using ReconcileFn = std::function<ReconcileOutcome(const std::string& key)>;

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
