// Finding keys in text and streams (keyward scan): only whole keys with a
// right checksum, once each, wherever the reads split them.
#include "keys/key_scanner.h"

#include <gtest/gtest.h>

#include <sstream>

#include "keys/key_format.h"

namespace keyward {
namespace {

TEST(KeyScanner, FindsWholeKeysWithARightChecksumAndSaysWhere) {
  const std::string a = MintKey(), b = MintKey();
  std::string broken = a;
  broken[10] = broken[10] == 'x' ? 'y' : 'x';  // checksum no longer matches
  const std::string text = "token: " + a + "\n" + "bad: " + broken + "\n" + "x" + b + "\n" +
                           b + "Z longer\n" + "url=https://h/?k=" + b + "&next\n";
  std::vector<FoundKey> found = FindKeys(text);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].line, 1u);
  EXPECT_EQ(found[0].hint, KeyHint(a));
  EXPECT_EQ(found[1].line, 5u);  // xkw_... and kw_...Z are parts of other words
  EXPECT_EQ(found[1].hint, KeyHint(b));
  EXPECT_EQ(text.substr(found[1].offset, kKeyLength), b);
  for (const FoundKey& k : found) EXPECT_EQ(k.hint.find(a.substr(10)), std::string::npos);
}

TEST(KeyScanner, AStreamReadInPiecesFindsEachKeyOnceWhereverItIsSplit) {
  const std::string key = MintKey();
  std::string text;
  for (int i = 0; i < 30; ++i) text += "line " + std::to_string(i) + (i % 7 == 3 ? " " + key : "") + "\n";
  const std::vector<FoundKey> whole = FindKeys(text);
  ASSERT_EQ(whole.size(), 4u);
  for (std::size_t piece : {1u, 2u, 7u, 38u, 39u, 40u, 41u, 64u, 100u, 1000u}) {
    std::istringstream in(text);
    std::vector<FoundKey> found = ScanStream(in, piece);
    ASSERT_EQ(found.size(), whole.size()) << "piece " << piece;
    for (std::size_t i = 0; i < found.size(); ++i) {
      EXPECT_EQ(found[i].line, whole[i].line) << "piece " << piece;
      EXPECT_EQ(found[i].offset, whole[i].offset) << "piece " << piece;
    }
  }
  // A key right after a piece boundary, preceded by a letter: still not a key.
  std::istringstream glued("abc" + std::string(37, 'q') + "x" + key + "\n");
  EXPECT_TRUE(ScanStream(glued, 41).empty());
}

}  // namespace
}  // namespace keyward
