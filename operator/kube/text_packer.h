// Compresses many small texts of one kind (cached objects' JSON) against a
// shared dictionary: zstd with a raw-content dictionary. Thread-safe.
#pragma once
#include <memory>
#include <string>
#include <string_view>

namespace keyward {

class TextPacker {
 public:
  // |dictionary|: text the packed texts resemble (e.g. a typical object of
  // the kind); empty packs without one. |level|: zstd's, 1 is fastest.
  explicit TextPacker(std::string dictionary, int level = 3);
  ~TextPacker();
  TextPacker(const TextPacker&) = delete;
  TextPacker& operator=(const TextPacker&) = delete;

  std::string Pack(std::string_view text) const;
  // The text Pack() was given. Throws std::runtime_error on bytes that
  // this packer did not make (never the case for a store's own).
  std::string Unpack(std::string_view packed) const;

 private:
  struct Dictionaries;
  std::unique_ptr<Dictionaries> dicts_;
};

}  // namespace keyward
