// The keyward key format (docs/decisions.md): "kw_" + 30 base62 characters from
// OpenSSL's CSPRNG + 6 base62 characters of CRC32 over everything before them.
// All functions are pure or use only the thread-safe OpenSSL RNG.
#pragma once
#include <string>
#include <string_view>

namespace keyward {

inline constexpr std::string_view kKeyPrefix = "kw_";
inline constexpr std::size_t kKeyRandomChars = 30;
inline constexpr std::size_t kKeyChecksumChars = 6;
inline constexpr std::size_t kKeyLength = 3 + kKeyRandomChars + kKeyChecksumChars;  // 39

enum class KeyFormatError {
  kOk,
  kWrongLength,
  kWrongPrefix,
  kBadCharacter,
  kBadChecksum,
};

// Returns a fresh key. Aborts the process if the CSPRNG fails (it never
// silently returns a weak key).
std::string MintKey();

// Checks length, prefix, alphabet and checksum without any lookup.
KeyFormatError CheckKeyFormat(std::string_view key);

// A reason a person can read, e.g. "checksum mismatch (typo?)". Never
// includes the key.
const char* KeyFormatErrorString(KeyFormatError error);

// The display form "kw_AbC1…9xQ2": prefix, first four random characters, an
// ellipsis, last four characters. Returns "" for a malformed key.
std::string KeyHint(std::string_view key);

// |text| with every key-like run ("kw_" and 8 or more base62 characters)
// replaced by "kw_…[redacted]". For messages that echo user input (field
// errors, conditions, events), where a key pasted into the wrong field must
// not end up.
std::string RedactKeys(std::string_view text);

// Encodes |value| as exactly |width| base62 digits, most significant first.
std::string Base62Fixed(std::uint64_t value, std::size_t width);

}  // namespace keyward
