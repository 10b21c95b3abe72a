#include "controller_runner.h"

#include <spdlog/spdlog.h>

namespace keyward {

void ControllerRunner::Start() {
  for (int i = 0; i < workers_; ++i) threads_.emplace_back([this] { Work(); });
}

void ControllerRunner::Stop() {
  queue_.ShutDown();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void ControllerRunner::Work() {
  while (auto key = queue_.Get()) {
    ReconcileOutcome outcome;
    try {
      outcome = reconcile_(*key);
    } catch (const std::exception& e) {
      // Bad input must never take the operator down: retry with backoff.
      outcome.failed = true;
      outcome.error = std::string("reconcile threw: ") + e.what();
    }
    if (outcome.failed) {
      spdlog::warn("reconcile {} failed (retry {}): {}", *key, queue_.Failures(*key) + 1,
                   outcome.error);
      queue_.AddRateLimited(*key);
    } else {
      queue_.Forget(*key);
      if (outcome.requeue_after) queue_.AddAfter(*key, *outcome.requeue_after);
    }
    queue_.Done(*key);
  }
}

}  // namespace keyward
