#include "base/backoff.h"

#include <algorithm>

namespace keyward {

std::chrono::milliseconds BackoffPolicy::Delay(int failures) const {
  const long long cap = std::max<long long>(max.count(), 0);
  long long ms = std::max<long long>(min.count(), 0);
  for (int i = 0; i < failures && ms < cap; ++i) ms = ms == 0 ? 1 : ms * 2;
  return std::chrono::milliseconds(std::min(ms, cap));
}

Backoff::Backoff(BackoffPolicy policy) : policy_(policy), rng_(std::random_device{}()) {}

std::chrono::milliseconds Backoff::Next() {
  std::chrono::milliseconds d = policy_.Delay(failures_);
  ++failures_;
  if (policy_.jitter <= 0) return d;
  std::uniform_real_distribution<double> factor(1.0 - policy_.jitter, 1.0 + policy_.jitter);
  return std::chrono::milliseconds(static_cast<long long>(d.count() * factor(rng_)));
}

}  // namespace keyward
