#include "base/rate_limiter.h"

#include <algorithm>
#include <thread>

namespace keyward {

RateLimiter::RateLimiter(double qps, int burst)
    : qps_(qps), burst_(std::max(1, burst)), tokens_(burst_), last_(SteadyClock::now()) {}

std::chrono::nanoseconds RateLimiter::Reserve(SteadyClock::time_point now) {
  if (qps_ <= 0) return std::chrono::nanoseconds(0);
  std::lock_guard lock(mu_);
  if (now > last_) {  // a caller with an older |now| just takes from the current level
    double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * qps_);
    last_ = now;
  }
  tokens_ -= 1;
  if (tokens_ >= 0) return std::chrono::nanoseconds(0);
  return std::chrono::nanoseconds(static_cast<long long>(-tokens_ / qps_ * 1e9));
}

void RateLimiter::Wait() {
  auto wait = Reserve(SteadyClock::now());
  if (wait.count() > 0) std::this_thread::sleep_for(wait);
}

}  // namespace keyward
