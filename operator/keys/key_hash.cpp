// The low-level SHA-256 functions are deprecated in OpenSSL 3 but kept;
// copying a SHA256_CTX is a plain struct copy, where EVP_MD_CTX_copy_ex
// allocates, and that halves the cost of every key lookup (docs/decisions.md).
#define OPENSSL_SUPPRESS_DEPRECATED
#include "keys/key_hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace keyward {
namespace {

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "keyward: OpenSSL failure in %s\n", what);
  std::abort();
}

constexpr std::size_t kBlock = 64;  // SHA-256 block size
constexpr std::string_view kStatusPrefix = "hmac-sha256:";

}  // namespace

// HMAC per RFC 2104 with the inner and outer pad blocks absorbed once, so a
// hash costs two SHA-256 compressions plus two small struct copies.
struct KeyHasher::Pads {
  SHA256_CTX inner;
  SHA256_CTX outer;
  ~Pads() { OPENSSL_cleanse(this, sizeof(*this)); }
};

namespace {

// The first |bytes| bytes of SHA-256(|label| + |data|), in hex.
std::string LabelledHashHex(std::string_view label, const void* data, std::size_t size, int bytes) {
  static const char kHex[] = "0123456789abcdef";
  SHA256_CTX ctx;
  unsigned char out[SHA256_DIGEST_LENGTH];
  if (!SHA256_Init(&ctx) || !SHA256_Update(&ctx, label.data(), label.size()) ||
      !SHA256_Update(&ctx, data, size) || !SHA256_Final(out, &ctx)) {
    Die("labelled hash");
  }
  OPENSSL_cleanse(&ctx, sizeof(ctx));
  std::string hex;
  for (int i = 0; i < bytes; ++i) {
    hex.push_back(kHex[out[i] >> 4]);
    hex.push_back(kHex[out[i] & 0xF]);
  }
  return hex;
}

}  // namespace

std::string PepperId(std::string_view pepper) {
  return LabelledHashHex("keyward.io/pepper-id\n", pepper.data(), pepper.size(), 4);
}

std::string KeyIdOf(const KeyDigest& digest) {
  return LabelledHashHex("keyward.io/key-id\n", digest.data(), digest.size(), 8);
}

KeyHasher::KeyHasher(std::string_view pepper)
    : pads_(std::make_unique<Pads>()), id_(PepperId(pepper)) {
  unsigned char key_block[kBlock] = {0};
  if (pepper.size() > kBlock) {
    SHA256(reinterpret_cast<const unsigned char*>(pepper.data()), pepper.size(), key_block);
  } else {
    std::memcpy(key_block, pepper.data(), pepper.size());
  }
  unsigned char ipad[kBlock], opad[kBlock];
  for (std::size_t i = 0; i < kBlock; ++i) {
    ipad[i] = key_block[i] ^ 0x36;
    opad[i] = key_block[i] ^ 0x5c;
  }
  if (!SHA256_Init(&pads_->inner) || !SHA256_Update(&pads_->inner, ipad, kBlock) ||
      !SHA256_Init(&pads_->outer) || !SHA256_Update(&pads_->outer, opad, kBlock)) {
    Die("HMAC setup");
  }
  OPENSSL_cleanse(key_block, sizeof(key_block));
  OPENSSL_cleanse(ipad, sizeof(ipad));
  OPENSSL_cleanse(opad, sizeof(opad));
}

KeyHasher::~KeyHasher() = default;

KeyDigest KeyHasher::Hash(std::string_view key) const {
  KeyDigest inner{}, out{};
  SHA256_CTX ctx = pads_->inner;
  SHA256_Update(&ctx, key.data(), key.size());
  SHA256_Final(inner.data(), &ctx);
  ctx = pads_->outer;
  SHA256_Update(&ctx, inner.data(), inner.size());
  SHA256_Final(out.data(), &ctx);
  OPENSSL_cleanse(&ctx, sizeof(ctx));
  return out;
}

std::string KeyHasher::ToStatus(const KeyDigest& digest) const { return DigestToStatus(id_, digest); }

std::string DigestToStatus(std::string_view pepper_id, const KeyDigest& digest) {
  static const char kHex[] = "0123456789abcdef";
  std::string out(kStatusPrefix);
  out.append(pepper_id);
  out.push_back(':');
  for (std::uint8_t b : digest) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xF]);
  }
  return out;
}

std::optional<KeyDigest> DigestFromStatus(std::string_view text, std::string* pepper_id) {
  if (text.substr(0, kStatusPrefix.size()) != kStatusPrefix) return std::nullopt;
  text.remove_prefix(kStatusPrefix.size());
  std::string_view id;
  if (auto colon = text.find(':'); colon != std::string_view::npos) {
    id = text.substr(0, colon);
    text.remove_prefix(colon + 1);
    if (id.empty() || id.size() > 16) return std::nullopt;
  }
  if (text.size() != 64) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  KeyDigest d{};
  for (std::size_t i = 0; i < d.size(); ++i) {
    int hi = nibble(text[2 * i]), lo = nibble(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    d[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  if (pepper_id) pepper_id->assign(id);
  return d;
}

bool KeyIdsEqual(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool DigestsEqual(const KeyDigest& a, const KeyDigest& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string NewPepper() {
  std::string pepper(32, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(pepper.data()), 32) != 1) Die("RAND_bytes");
  return pepper;
}

}  // namespace keyward
