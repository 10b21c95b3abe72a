// Counts of things held per name (an ApiKey's open log streams, a source
// address's TLS handshakes in flight), each under a cap. Thread-safe.
#pragma once
#include <mutex>
#include <string>
#include <unordered_map>

namespace keyward {

class CappedCounts {
 public:
  // Takes one for |name|; false, taking nothing, when it holds |max|.
  bool Take(const std::string& name, int max);
  void Release(const std::string& name);
  int Count(const std::string& name) const;

  // One taken count, released when Release()d or destroyed; movable.
  class Slot {
   public:
    Slot() = default;
    Slot(CappedCounts* counts, std::string name) : counts_(counts), name_(std::move(name)) {}
    Slot(Slot&& other) noexcept : counts_(other.counts_), name_(std::move(other.name_)) { other.counts_ = nullptr; }
    Slot& operator=(Slot&&) = delete;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() { Release(); }
    void Release() {
      if (counts_) counts_->Release(name_);
      counts_ = nullptr;
    }

   private:
    CappedCounts* counts_ = nullptr;
    std::string name_;
  };

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, int> held_;
};

}  // namespace keyward
