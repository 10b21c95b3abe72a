#include "base/interned.h"

#include <mutex>
#include <unordered_set>

namespace keyward {

const std::string* Interned(std::string_view text) {
  static std::mutex* mu = new std::mutex();
  static auto* pool = new std::unordered_set<std::string>();  // never destroyed: pointers outlive statics
  std::lock_guard lock(*mu);
  return &*pool->emplace(text).first;  // nodes never move
}

}  // namespace keyward
