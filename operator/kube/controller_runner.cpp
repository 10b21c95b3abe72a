#include "kube/controller_runner.h"

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
    Action action = Action::AwaitChange();
    try {
      action = reconcile_(*key);
    } catch (const std::exception& e) {
      // Bad input must never take the operator down: retry with backoff.
      action = Action::Retry(std::string("reconcile threw: ") + e.what());
    }
    if (action.failed()) {
      spdlog::warn("reconcile {} failed (retry {}): {}", *key, queue_.Failures(*key) + 1,
                   action.error());
      queue_.AddRateLimited(*key);
    } else {
      queue_.Forget(*key);
      if (action.kind() == Action::Kind::kRequeue) queue_.AddAfter(*key, action.requeue_after());
    }
    queue_.Done(*key);
  }
}

}  // namespace keyward
