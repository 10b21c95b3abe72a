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
  // The pepper's id (PepperId), carried by every digest made with it.
  const std::string& id() const { return id_; }
  // "hmac-sha256:<id>:<hex>" of Hash(key)'s kind of digest, made here.
  std::string ToStatus(const KeyDigest& digest) const;

 private:
  struct Pads;
  std::unique_ptr<Pads> pads_;
  std::string id_;
};

// 8 hex digits naming |pepper| without revealing it (a truncated SHA-256
// under its own label), so a digest says which pepper made it.
std::string PepperId(std::string_view pepper);

// "hmac-sha256:<pepper id>:<64 hex digits>", the form kept in status.keyHash
// and the Secret's annotations.
std::string DigestToStatus(std::string_view pepper_id, const KeyDigest& digest);
// Parses that form; the older "hmac-sha256:<hex>" (before digests named
// their pepper) parses with an empty id, which no live pepper has.
std::optional<KeyDigest> DigestFromStatus(std::string_view text, std::string* pepper_id = nullptr);

// 16 hex digits naming one digest without revealing it (a truncated SHA-256
// under its own label): what /authenticate puts into a user's extra
// (keyward.io/key-id), so /authorize knows which key a token was.
std::string KeyIdOf(const KeyDigest& digest);
// Constant-time equality of two key ids (of equal length; else false).
bool KeyIdsEqual(std::string_view a, std::string_view b);

// Constant-time equality of two digests.
bool DigestsEqual(const KeyDigest& a, const KeyDigest& b);

// A fresh random pepper (32 bytes) for first start.
std::string NewPepper();

}  // namespace keyward
