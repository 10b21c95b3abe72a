// The digests of one ApiKey in the key index: one, or two while a rotation
// overlaps. The first is held inline (all zero bytes: none; HMAC-SHA256
// does not give that digest), any others on the heap: 40 bytes for one.
#pragma once
#include <memory>
#include <vector>

#include "keys/key_hash.h"

namespace keyward {

class DigestSet {
 public:
  bool empty() const { return first_ == KeyDigest{}; }
  bool Contains(const KeyDigest& digest) const;
  // Adds |digest| unless it is here already.
  void Add(const KeyDigest& digest);
  // Removes |digest|; false if it was not here.
  bool Remove(const KeyDigest& digest);
  std::vector<KeyDigest> ToVector() const;

  template <typename Fn>
  void ForEach(Fn fn) const {
    if (empty()) return;
    fn(first_);
    if (rest_) {
      for (const KeyDigest& d : *rest_) fn(d);
    }
  }

 private:
  KeyDigest first_{};
  std::unique_ptr<std::vector<KeyDigest>> rest_;  // null while one or none
};

}  // namespace keyward
