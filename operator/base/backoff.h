// The one backoff of keyward: exponential from a minimum, capped, with
// optional +-jitter. Delay() is pure; Backoff counts failures for a caller.
#pragma once
#include <chrono>
#include <random>

namespace keyward {

struct BackoffPolicy {
  std::chrono::milliseconds min{5};
  std::chrono::milliseconds max{1000 * 1000};
  double jitter = 0.0;  // 0.2 = each delay scaled by a random factor in [0.8, 1.2]

  // min * 2^failures, capped at max, before jitter. Never overflows.
  std::chrono::milliseconds Delay(int failures) const;
};

// A failure counter over a policy: Next() gives the delay for one more
// failure (jittered), Reset() starts again after a success. Not thread-safe.
class Backoff {
 public:
  explicit Backoff(BackoffPolicy policy);
  std::chrono::milliseconds Next();
  void Reset() { failures_ = 0; }
  int failures() const { return failures_; }

 private:
  BackoffPolicy policy_;
  int failures_ = 0;
  std::mt19937 rng_;
};

}  // namespace keyward
