#include "server/capped_counts.h"

namespace keyward {

bool CappedCounts::Take(const std::string& name, int max) {
  std::lock_guard<std::mutex> lock(mu_);
  int& n = held_[name];
  if (n >= max) {
    if (n == 0) held_.erase(name);
    return false;
  }
  ++n;
  return true;
}

void CappedCounts::Release(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = held_.find(name);
  if (it != held_.end() && --it->second <= 0) held_.erase(it);
}

int CappedCounts::Count(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = held_.find(name);
  return it == held_.end() ? 0 : it->second;
}

}  // namespace keyward
