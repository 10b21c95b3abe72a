// An ApiKey's digests in the index: one inline, the rest on the heap.
#include "keys/digest_set.h"

#include <gtest/gtest.h>

namespace keyward {
namespace {

KeyDigest D(std::uint8_t b) {
  KeyDigest d{};
  d.fill(b);
  return d;
}

TEST(DigestSet, HoldsEachDigestOnceInTheOrderAddedAndRemovesAny) {
  DigestSet s;
  EXPECT_TRUE(s.empty());
  EXPECT_FALSE(s.Remove(D(1)));
  s.Add(D(1));
  s.Add(D(1));
  EXPECT_EQ(s.ToVector(), std::vector<KeyDigest>{D(1)});
  s.Add(D(2));
  s.Add(D(3));
  EXPECT_TRUE(s.Contains(D(3)));
  EXPECT_EQ(s.ToVector(), (std::vector<KeyDigest>{D(1), D(2), D(3)}));
  EXPECT_TRUE(s.Remove(D(2)));  // from the heap
  EXPECT_FALSE(s.Remove(D(2)));
  EXPECT_TRUE(s.Remove(D(1)));  // inline: the newest other takes its place
  EXPECT_EQ(s.ToVector(), std::vector<KeyDigest>{D(3)});
  EXPECT_TRUE(s.Remove(D(3)));
  EXPECT_TRUE(s.empty());
  EXPECT_FALSE(s.Contains(D(3)));
  s.Add(D(4));
  EXPECT_EQ(s.ToVector(), std::vector<KeyDigest>{D(4)});
}

TEST(DigestSet, TheAllZeroDigestMarksNoneAndIsNeverHeld) {
  DigestSet s;
  s.Add(KeyDigest{});
  EXPECT_TRUE(s.empty());
  EXPECT_FALSE(s.Contains(KeyDigest{}));
}

TEST(DigestSet, OneDigestNeedsNoHeap) {
  EXPECT_EQ(sizeof(DigestSet), sizeof(KeyDigest) + sizeof(void*));
}

}  // namespace
}  // namespace keyward
