// Finds keyward keys in text: every "kw_" + 36 base62 characters, standing
// alone, whose checksum is right. For `keyward scan`. Pure.
#pragma once
#include <cstddef>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

namespace keyward {

struct FoundKey {
  std::size_t line = 0;    // 1-based
  std::size_t offset = 0;  // of its "kw_" in the text
  std::string hint;      // KeyHint: never the key
};

// Keys in |text|, in order. A run of base62 characters longer than a key
// (part of something else) or a checksum that does not match is not a key.
std::vector<FoundKey> FindKeys(std::string_view text);

// The same for a stream of any length, read |piece| bytes at a time: a key
// split between two reads is found, once. Offsets and lines count from the
// stream's start. What was read is wiped from memory as it goes.
std::vector<FoundKey> ScanStream(std::istream& in, std::size_t piece = 8 << 20);

}  // namespace keyward
