#include "keys/key_scanner.h"

#include <openssl/crypto.h>

#include <algorithm>

#include "keys/key_format.h"

namespace keyward {

namespace {

bool IsBase62(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

}  // namespace

std::vector<FoundKey> FindKeys(std::string_view text) {
  std::vector<FoundKey> found;
  std::size_t line = 1, counted_to = 0;
  for (std::size_t at = text.find(kKeyPrefix); at != std::string_view::npos;
       at = text.find(kKeyPrefix, at + 1)) {
    // "xkw_..." is part of a longer word, not a key.
    if (at > 0 && (IsBase62(text[at - 1]) || text[at - 1] == '_')) continue;
    const std::size_t end = at + kKeyLength;
    if (end > text.size()) break;
    if (end < text.size() && IsBase62(text[end])) continue;
    std::string_view candidate = text.substr(at, kKeyLength);
    if (CheckKeyFormat(candidate) != KeyFormatError::kOk) continue;
    line += static_cast<std::size_t>(std::count(text.begin() + counted_to, text.begin() + at, '\n'));
    counted_to = at;
    found.push_back({line, at, KeyHint(candidate)});
  }
  return found;
}

std::vector<FoundKey> ScanStream(std::istream& in, std::size_t piece) {
  // A key can be judged once its 39 bytes and the byte after it are read,
  // so each piece judges the keys that start before its last 39 bytes and
  // hands the next piece those bytes and the one before them (whether a key
  // stands alone depends on it).
  std::vector<FoundKey> found;
  std::string text;
  std::size_t lines_before = 0;  // newlines ahead of |text|
  std::size_t offset_before = 0; // bytes ahead of |text|
  std::size_t own_from = 0;      // after the first piece, offset 0 is context
  std::string buffer(std::max<std::size_t>(piece, 1), '\0');
  while (true) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    text.append(buffer.data(), static_cast<std::size_t>(in.gcount()));
    const bool last = !in;
    const std::size_t own_to = last ? text.size() : (text.size() > kKeyLength ? text.size() - kKeyLength : 0);
    for (FoundKey k : FindKeys(text)) {
      if (k.offset < own_from || k.offset >= own_to) continue;
      k.line += lines_before;
      k.offset += offset_before;
      found.push_back(std::move(k));
    }
    if (last) break;
    own_from = std::max(own_from, own_to);  // judged up to here
    if (own_from <= 1) continue;
    const std::size_t cut = own_from - 1;  // keep one byte of context
    lines_before += static_cast<std::size_t>(std::count(text.begin(), text.begin() + cut, '\n'));
    offset_before += cut;
    OPENSSL_cleanse(text.data(), cut);
    text.erase(0, cut);
    own_from = 1;
  }
  OPENSSL_cleanse(text.data(), text.size());
  OPENSSL_cleanse(buffer.data(), buffer.size());
  return found;
}

}  // namespace keyward
