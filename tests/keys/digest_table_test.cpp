#include "keys/digest_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <vector>

namespace keyward {
namespace {

KeyDigest Digest(std::uint64_t n, std::uint64_t salt = 0x9e3779b97f4a7c15ULL) {
  KeyDigest d{};
  std::mt19937_64 rng(n * salt + 1);
  for (std::size_t i = 0; i < d.size(); i += 8) {
    std::uint64_t v = rng();
    for (std::size_t b = 0; b < 8; ++b) d[i + b] = static_cast<std::uint8_t>(v >> (8 * b));
  }
  return d;
}

TEST(DigestTable, FindsWhatWasInsertedAndNothingElse) {
  DigestTable table;
  EXPECT_EQ(table.Find(Digest(1)), nullptr);
  DigestTable::Slot* s = table.Insert(Digest(1));
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->digest, Digest(1));
  EXPECT_EQ(s->valid_until(), TimePoint::max());
  s->set_valid_until(TimePoint(std::chrono::seconds(100)));
  EXPECT_EQ(table.Insert(Digest(1)), table.Find(Digest(1)));  // no second slot
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(table.Find(Digest(1))->valid_until(), TimePoint(std::chrono::seconds(100)));
  EXPECT_EQ(table.Find(Digest(2)), nullptr);
  EXPECT_FALSE(table.Erase(Digest(2)));
}

TEST(DigestTable, ErasingMovesTheLastSlotAndLosesNothing) {
  DigestTable table;
  constexpr int kN = 5000;  // many rehashes
  for (int i = 0; i < kN; ++i) {
    table.Insert(Digest(i))->until = i;
  }
  ASSERT_EQ(table.size(), static_cast<std::size_t>(kN));
  std::vector<int> order(kN);
  for (int i = 0; i < kN; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937(7));
  std::set<int> erased;
  for (int i = 0; i < kN / 2; ++i) {
    ASSERT_TRUE(table.Erase(Digest(order[i])));
    erased.insert(order[i]);
  }
  EXPECT_EQ(table.size(), static_cast<std::size_t>(kN - kN / 2));
  for (int i = 0; i < kN; ++i) {
    const DigestTable::Slot* s = table.Find(Digest(i));
    if (erased.count(i)) {
      EXPECT_EQ(s, nullptr) << i;
    } else {
      ASSERT_NE(s, nullptr) << i;
      EXPECT_EQ(s->until, i);  // its own slot, after every move
      EXPECT_EQ(s->digest, Digest(i));
    }
  }
  // Erased places are taken again; churn does not grow the table for ever.
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 200; ++i) table.Insert(Digest(kN + round * 200 + i))->until = -1;
    for (int i = 0; i < 200; ++i) ASSERT_TRUE(table.Erase(Digest(kN + round * 200 + i)));
  }
  EXPECT_EQ(table.size(), static_cast<std::size_t>(kN - kN / 2));
  for (int i = 0; i < kN; ++i) {
    if (!erased.count(i)) {
      ASSERT_NE(table.Find(Digest(i)), nullptr) << i;
    }
  }
}

TEST(DigestTable, DigestsThatShareTheirFirstBytesAreTold) {
  // Same home and tag: the whole digest decides.
  DigestTable table;
  KeyDigest a = Digest(1), b = Digest(1);
  b[31] ^= 1;
  table.Insert(a)->until = 1;
  table.Insert(b)->until = 2;
  EXPECT_EQ(table.Find(a)->until, 1);
  EXPECT_EQ(table.Find(b)->until, 2);
  ASSERT_TRUE(table.Erase(a));
  EXPECT_EQ(table.Find(a), nullptr);
  EXPECT_EQ(table.Find(b)->until, 2);
}

}  // namespace
}  // namespace keyward
