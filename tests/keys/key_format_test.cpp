#include "keys/key_format.h"

#include <gtest/gtest.h>

#include <set>

#include "base/crc32.h"
#include "api/field_error.h"

namespace keyward {
namespace {

TEST(Crc32, KnownVector) { EXPECT_EQ(Crc32("123456789"), 0xCBF43926u); }

TEST(Base62Fixed, EncodesWithFixedWidth) {
  EXPECT_EQ(Base62Fixed(0, 6), "000000");
  EXPECT_EQ(Base62Fixed(61, 2), "0z");
  EXPECT_EQ(Base62Fixed(62, 2), "10");
  EXPECT_EQ(Base62Fixed(0xFFFFFFFFu, 6), "4gfFC3");
}

TEST(KeyFormat, MintedKeysHaveTheDocumentedShape) {
  for (int i = 0; i < 200; ++i) {
    std::string key = MintKey();
    ASSERT_EQ(key.size(), 39u);
    EXPECT_EQ(key.substr(0, 3), "kw_");
    EXPECT_EQ(CheckKeyFormat(key), KeyFormatError::kOk) << key;
  }
}

TEST(KeyFormat, MintedKeysAreDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) seen.insert(MintKey());
  EXPECT_EQ(seen.size(), 10000u);
}

TEST(KeyFormat, AlphabetIsUsedRoughlyUniformly) {
  std::map<char, int> counts;
  for (int i = 0; i < 2000; ++i) {
    std::string key = MintKey();
    for (std::size_t j = 3; j < 33; ++j) ++counts[key[j]];
  }
  EXPECT_EQ(counts.size(), 62u);
  for (auto [c, n] : counts) {
    EXPECT_GT(n, 600) << c;  // expected ~968 each
    EXPECT_LT(n, 1400) << c;
  }
}

TEST(KeyFormat, EverySingleCharacterTypoIsRejectedWithoutLookup) {
  std::string key = MintKey();
  int rejected = 0, total = 0;
  for (std::size_t i = 3; i < key.size(); ++i) {
    for (char c : std::string("0aZ9")) {
      if (key[i] == c) continue;
      std::string typo = key;
      typo[i] = c;
      ++total;
      if (CheckKeyFormat(typo) == KeyFormatError::kBadChecksum) ++rejected;
    }
  }
  EXPECT_EQ(rejected, total);
}

TEST(KeyFormat, TranspositionIsRejected) {
  std::string key = MintKey();
  for (std::size_t i = 3; i + 1 < 33; ++i) {
    if (key[i] == key[i + 1]) continue;
    std::string typo = key;
    std::swap(typo[i], typo[i + 1]);
    EXPECT_EQ(CheckKeyFormat(typo), KeyFormatError::kBadChecksum) << i;
  }
}

TEST(KeyFormat, RejectsWrongLengthPrefixAndCharacters) {
  std::string key = MintKey();
  EXPECT_EQ(CheckKeyFormat(key.substr(0, 38)), KeyFormatError::kWrongLength);
  EXPECT_EQ(CheckKeyFormat(key + "a"), KeyFormatError::kWrongLength);
  EXPECT_EQ(CheckKeyFormat(""), KeyFormatError::kWrongLength);
  std::string prefix = key;
  prefix[0] = 'k';
  prefix[1] = 'x';
  EXPECT_EQ(CheckKeyFormat(prefix), KeyFormatError::kWrongPrefix);
  std::string bad = key;
  bad[10] = '-';
  EXPECT_EQ(CheckKeyFormat(bad), KeyFormatError::kBadCharacter);
  EXPECT_STREQ(KeyFormatErrorString(KeyFormatError::kBadChecksum),
               "not a keyward key: checksum mismatch (typo?)");
}

TEST(KeyFormat, HintShowsOnlyPrefixAndEnds) {
  std::string key = MintKey();
  std::string hint = KeyHint(key);
  EXPECT_EQ(hint, key.substr(0, 7) + "\xE2\x80\xA6" + key.substr(35));
  EXPECT_EQ(hint.find(key.substr(7, 20)), std::string::npos);
  EXPECT_EQ(KeyHint("short"), "");
}

TEST(KeyFormat, RedactKeysHidesKeyLikeRunsOnly) {
  std::string key = MintKey();
  EXPECT_EQ(RedactKeys("spec.ttl: \"" + key + "\" is not a duration"),
            "spec.ttl: \"kw_\xE2\x80\xA6[redacted]\" is not a duration");
  EXPECT_EQ(RedactKeys(key + key.substr(3)), "kw_\xE2\x80\xA6[redacted]");  // one run
  EXPECT_EQ(RedactKeys("a " + key + " b " + key), "a kw_\xE2\x80\xA6[redacted] b kw_\xE2\x80\xA6[redacted]");
  EXPECT_EQ(RedactKeys("kw_short and kw_"), "kw_short and kw_");  // under 8: not a key
  EXPECT_EQ(RedactKeys(""), "");
  FieldError e{"spec.description", "\"" + key.substr(0, 20) + "\" pasted"};
  EXPECT_EQ(e.String().find(key.substr(0, 20)), std::string::npos);
}

}  // namespace
}  // namespace keyward
