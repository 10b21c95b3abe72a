// HMAC-SHA256(pepper, key): the only form in which keyward stores or looks
// up a key. A KeyHasher is immutable after construction and thread-safe.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace keyward {

using KeyDigest = std::array<std::uint8_t, 32>;

class KeyHasher {
 public:
  // |pepper| is the secret HMAC key (at least 32 bytes recommended).
  explicit KeyHasher(std::string_view pepper);
  ~KeyHasher();
  KeyHasher(const KeyHasher&) = delete;
  KeyHasher& operator=(const KeyHasher&) = delete;

  KeyDigest Hash(std::string_view key) const;

 private:
  struct Pads;
  std::unique_ptr<Pads> pads_;
};

// "hmac-sha256:<64 hex digits>", the form kept in status.keyHash.
std::string DigestToStatus(const KeyDigest& digest);
std::optional<KeyDigest> DigestFromStatus(std::string_view text);

// Constant-time equality of two digests.
bool DigestsEqual(const KeyDigest& a, const KeyDigest& b);

// A fresh random pepper (32 bytes) for first start.
std::string NewPepper();

}  // namespace keyward
