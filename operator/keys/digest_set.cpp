#include "keys/digest_set.h"

#include <algorithm>

namespace keyward {

bool DigestSet::Contains(const KeyDigest& digest) const {
  if (empty()) return false;
  if (first_ == digest) return true;
  return rest_ && std::find(rest_->begin(), rest_->end(), digest) != rest_->end();
}

void DigestSet::Add(const KeyDigest& digest) {
  if (digest == KeyDigest{} || Contains(digest)) return;
  if (empty()) {
    first_ = digest;
    return;
  }
  if (!rest_) rest_ = std::make_unique<std::vector<KeyDigest>>();
  rest_->push_back(digest);
}

bool DigestSet::Remove(const KeyDigest& digest) {
  if (empty()) return false;
  if (first_ == digest) {
    if (rest_) {  // the newest of the others moves inline
      first_ = rest_->back();
      rest_->pop_back();
      if (rest_->empty()) rest_.reset();
    } else {
      first_ = KeyDigest{};
    }
    return true;
  }
  if (!rest_) return false;
  auto it = std::find(rest_->begin(), rest_->end(), digest);
  if (it == rest_->end()) return false;
  rest_->erase(it);
  if (rest_->empty()) rest_.reset();
  return true;
}

std::vector<KeyDigest> DigestSet::ToVector() const {
  std::vector<KeyDigest> out;
  ForEach([&out](const KeyDigest& d) { out.push_back(d); });
  return out;
}

}  // namespace keyward
