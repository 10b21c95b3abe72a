#include "base/rate_limiter.h"

#include <algorithm>
#include <thread>

namespace keyward {

RateLimiter::RateLimiter(double qps, int burst)
    : qps_(qps), burst_(std::max(1, burst)), tokens_(burst_), last_(SteadyClock::now()) {}

void RateLimiter::RefillLocked(SteadyClock::time_point now) {
  if (now > last_) {  // a caller with an older |now| just takes from the current level
    double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * qps_);
    last_ = now;
  }
}

std::chrono::nanoseconds RateLimiter::TryTake(SteadyClock::time_point now) {
  if (qps_ <= 0) return std::chrono::nanoseconds(0);
  std::lock_guard lock(mu_);
  RefillLocked(now);
  if (tokens_ >= 1) {
    tokens_ -= 1;
    return std::chrono::nanoseconds(0);
  }
  return std::chrono::nanoseconds(static_cast<long long>((1 - tokens_) / qps_ * 1e9) + 1);
}

std::chrono::nanoseconds RateLimiter::Reserve(SteadyClock::time_point now) {
  if (qps_ <= 0) return std::chrono::nanoseconds(0);
  std::lock_guard lock(mu_);
  RefillLocked(now);
  tokens_ -= 1;
  if (tokens_ >= 0) return std::chrono::nanoseconds(0);
  return std::chrono::nanoseconds(static_cast<long long>(-tokens_ / qps_ * 1e9));
}

void RateLimiter::Wait() {
  auto wait = Reserve(SteadyClock::now());
  if (wait.count() > 0) std::this_thread::sleep_for(wait);
}

}  // namespace keyward
