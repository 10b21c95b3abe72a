// A client-side token bucket (qps, burst) in front of every API request,
// like client-go's flowcontrol. Thread-safe.
#pragma once
#include <chrono>
#include <mutex>

namespace keyward {

class RateLimiter {
 public:
  using SteadyClock = std::chrono::steady_clock;

  // Starts full (|burst| tokens, at least 1), refilled at |qps| per second.
  // qps <= 0 means no limit.
  RateLimiter(double qps, int burst);

  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Takes a token at |now|: returns 0 if one was available, otherwise
  // reserves the next one (tokens go negative, so callers queue up fairly)
  // and returns how long the caller must wait for it.
  std::chrono::nanoseconds Reserve(SteadyClock::time_point now);

  // Reserve(now) and sleep for the answer.
  void Wait();

  // Takes a token at |now| if one is there and returns 0; otherwise takes
  // nothing and returns how long until one will be (for work that would
  // rather come back later than wait).
  std::chrono::nanoseconds TryTake(SteadyClock::time_point now);

 private:
  const double qps_;
  const double burst_;
  void RefillLocked(SteadyClock::time_point now);

  std::mutex mu_;
  double tokens_;                 // guarded by mu_
  SteadyClock::time_point last_;  // guarded by mu_: when tokens_ was last refilled
};

}  // namespace keyward
