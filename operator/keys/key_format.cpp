#include "keys/key_format.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>

#include "base/crc32.h"

namespace keyward {
namespace {

constexpr std::string_view kAlphabet =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// Digit value of each byte in base62, or -1.
struct DecodeTable {
  signed char value[256];
  constexpr DecodeTable() : value() {
    for (int i = 0; i < 256; ++i) value[i] = -1;
    for (int i = 0; i < 62; ++i) value[static_cast<unsigned char>(kAlphabet[i])] = static_cast<signed char>(i);
  }
};
constexpr DecodeTable kDecode;

std::string Checksum(std::string_view prefix_and_random) {
  return Base62Fixed(Crc32(prefix_and_random), kKeyChecksumChars);
}

}  // namespace

std::string Base62Fixed(std::uint64_t value, std::size_t width) {
  std::string out(width, '0');
  for (std::size_t i = width; i-- > 0;) {
    out[i] = kAlphabet[value % 62];
    value /= 62;
  }
  return out;
}

std::string MintKey() {
  std::string key(kKeyPrefix);
  key.reserve(kKeyLength);
  // Rejection sampling: bytes >= 248 (= 4 * 62) are discarded so every
  // character is uniform over the 62-symbol alphabet.
  unsigned char buf[64];
  while (key.size() < kKeyPrefix.size() + kKeyRandomChars) {
    if (RAND_bytes(buf, sizeof(buf)) != 1) {
      std::fputs("keyward: OpenSSL RAND_bytes failed; refusing to mint a weak key\n", stderr);
      std::abort();
    }
    for (unsigned char b : buf) {
      if (b >= 248) continue;
      key.push_back(kAlphabet[b % 62]);
      if (key.size() == kKeyPrefix.size() + kKeyRandomChars) break;
    }
  }
  OPENSSL_cleanse(buf, sizeof(buf));  // the random bytes are the key
  key += Checksum(key);
  return key;
}

KeyFormatError CheckKeyFormat(std::string_view key) {
  if (key.size() != kKeyLength) return KeyFormatError::kWrongLength;
  if (key.substr(0, kKeyPrefix.size()) != kKeyPrefix) return KeyFormatError::kWrongPrefix;
  // One pass, no allocation: this runs before every lookup.
  std::uint64_t checksum = 0;
  for (std::size_t i = kKeyPrefix.size(); i < kKeyLength; ++i) {
    int digit = kDecode.value[static_cast<unsigned char>(key[i])];
    if (digit < 0) return KeyFormatError::kBadCharacter;
    if (i >= kKeyLength - kKeyChecksumChars) checksum = checksum * 62 + static_cast<unsigned>(digit);
  }
  // Six base62 digits encode each value below 62^6 (> 2^32) exactly once.
  if (checksum != Crc32(key.substr(0, kKeyLength - kKeyChecksumChars))) {
    return KeyFormatError::kBadChecksum;
  }
  return KeyFormatError::kOk;
}

const char* KeyFormatErrorString(KeyFormatError error) {
  switch (error) {
    case KeyFormatError::kOk: return "ok";
    case KeyFormatError::kWrongLength: return "not a keyward key: wrong length (want 39 characters)";
    case KeyFormatError::kWrongPrefix: return "not a keyward key: missing kw_ prefix";
    case KeyFormatError::kBadCharacter: return "not a keyward key: character outside [0-9A-Za-z]";
    case KeyFormatError::kBadChecksum: return "not a keyward key: checksum mismatch (typo?)";
  }
  return "unknown";
}

std::string KeyHint(std::string_view key) {
  if (key.size() != kKeyLength || key.substr(0, kKeyPrefix.size()) != kKeyPrefix) return "";
  std::string hint(key.substr(0, kKeyPrefix.size() + 4));
  hint += "\xE2\x80\xA6";  // U+2026 HORIZONTAL ELLIPSIS
  hint += key.substr(kKeyLength - 4);
  return hint;
}

std::string RedactKeys(std::string_view text) {
  constexpr std::size_t kMinRun = 8;
  auto is_base62 = [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  };
  std::string out;
  std::size_t done = 0;
  for (std::size_t at = text.find("kw_"); at != std::string_view::npos; at = text.find("kw_", at + 1)) {
    std::size_t end = at + 3;
    while (end < text.size() && is_base62(text[end])) ++end;
    if (end - at - 3 < kMinRun) continue;
    out.append(text.substr(done, at - done));
    out += "kw_\xE2\x80\xA6[redacted]";  // U+2026 HORIZONTAL ELLIPSIS
    done = end;
    at = end - 1;
  }
  out.append(text.substr(done));
  return out;
}

}  // namespace keyward
