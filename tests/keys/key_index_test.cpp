#include "keys/key_index.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace keyward {
namespace {

const TimePoint kNow = *ParseRfc3339("2026-11-22T12:00:00Z");

std::shared_ptr<const IndexedPolicy> ClusterPolicy(ApiKeyRef ref) {
  auto p = std::make_shared<IndexedPolicy>();
  p->ref = std::move(ref);
  AccessRule r;
  r.scope = Scope::kCluster;
  p->policy.rules = {r};
  return p;
}

TEST(KeyHasher, IsHmacSha256) {
  // RFC 4231 test case 2.
  KeyHasher h("Jefe");
  EXPECT_EQ(DigestToStatus("0a1b2c3d", h.Hash("what do ya want for nothing?")),
            "hmac-sha256:0a1b2c3d:5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Pepper longer than a block is hashed first (RFC 4231 test case 6).
  KeyHasher long_key(std::string(131, '\xaa'));
  EXPECT_EQ(DigestToStatus("0a1b2c3d", long_key.Hash("Test Using Larger Than Block-Size Key - Hash Key First")),
            "hmac-sha256:0a1b2c3d:60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(KeyHasher, StatusFormRoundTrips) {
  KeyHasher h(NewPepper());
  KeyDigest d = h.Hash(MintKey());
  std::string id;
  EXPECT_EQ(DigestFromStatus(h.ToStatus(d), &id), d);
  EXPECT_EQ(id, h.id());
  // The form before digests named their pepper parses, with no id.
  std::string legacy = h.ToStatus(d);
  legacy.erase(legacy.find(':') + 1, h.id().size() + 1);
  EXPECT_EQ(DigestFromStatus(legacy, &id), d);
  EXPECT_EQ(id, "");
  EXPECT_FALSE(DigestFromStatus("sha256:00"));
  EXPECT_FALSE(DigestFromStatus("hmac-sha256:zz"));
  EXPECT_FALSE(DigestFromStatus("hmac-sha256::" + legacy.substr(12)));
  EXPECT_TRUE(DigestsEqual(d, d));
  KeyDigest other = d;
  other[31] ^= 1;
  EXPECT_FALSE(DigestsEqual(d, other));
}

TEST(KeyHasher, PepperIdNamesThePepperWithoutRevealingIt) {
  const std::string a = NewPepper(), b = NewPepper();
  EXPECT_EQ(PepperId(a), PepperId(a));
  EXPECT_NE(PepperId(a), PepperId(b));
  EXPECT_EQ(PepperId(a).size(), 8u);
  EXPECT_EQ(PepperId(a).find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(KeyHasher(a).id(), PepperId(a));
}

TEST(KeyIndex, ARotatedOutPepperStillFindsItsKeys) {
  const std::string old_pepper = NewPepper(), new_pepper = NewPepper();
  KeyIndex before(old_pepper);
  KeyIndex index(new_pepper, old_pepper);
  ApiKeyRef a{"team-a", "old"}, b{"team-a", "new"};
  std::string old_key = MintKey(), new_key = MintKey();
  index.SetPolicy(ClusterPolicy(a));
  index.SetPolicy(ClusterPolicy(b));
  std::string old_status = before.hasher().ToStatus(before.hasher().Hash(old_key));
  ASSERT_TRUE(index.LiveDigest(old_status));
  index.AddKey(a, *index.LiveDigest(old_status));
  index.AddKey(b, index.hasher().Hash(new_key));
  EXPECT_EQ(index.Lookup(old_key, kNow).policy->ref, a);
  EXPECT_EQ(index.Lookup(new_key, kNow).policy->ref, b);
  EXPECT_EQ(index.Lookup(MintKey(), kNow).status, LookupStatus::kUnknown);
  // Without the old pepper, its digests are not live: nothing can match them.
  KeyIndex only_new(new_pepper);
  EXPECT_FALSE(only_new.LiveDigest(old_status));
  EXPECT_TRUE(only_new.KnowsPepper(PepperId(new_pepper)));
  EXPECT_FALSE(only_new.KnowsPepper(PepperId(old_pepper)));
  EXPECT_FALSE(only_new.KnowsPepper(""));
}

TEST(KeyIndex, FindsOnlyItsKeys) {
  KeyIndex index(NewPepper());
  ApiKeyRef ref{"team-a", "logs"};
  std::string key = MintKey();
  index.AddKey(ref, index.hasher().Hash(key));
  EXPECT_EQ(index.Lookup(key, kNow).status, LookupStatus::kUnknown);  // no policy yet
  index.SetPolicy(ClusterPolicy(ref));
  LookupResult r = index.Lookup(key, kNow);
  ASSERT_EQ(r.status, LookupStatus::kFound);
  EXPECT_EQ(r.policy->ref, ref);
  EXPECT_EQ(index.Lookup(MintKey(), kNow).status, LookupStatus::kUnknown);
  std::string typo = key;
  typo[5] = typo[5] == 'a' ? 'b' : 'a';
  LookupResult bad = index.Lookup(typo, kNow);
  EXPECT_EQ(bad.status, LookupStatus::kMalformed);
  EXPECT_EQ(bad.format_error, KeyFormatError::kBadChecksum);
}

TEST(KeyIndex, RetainApiKeysDropsEveryKeyOfTheOthers) {
  KeyIndex index(NewPepper());
  std::vector<std::string> keys;
  for (const char* name : {"a", "b", "c"}) {
    ApiKeyRef ref{"team", name};
    index.SetPolicy(ClusterPolicy(ref));
    for (int i = 0; i < 2; ++i) {  // a rotation overlap: two keys
      keys.push_back(MintKey());
      index.AddKey(ref, index.hasher().Hash(keys.back()));
    }
  }
  EXPECT_EQ(index.RetainApiKeys([](const std::string& key) { return key != "team/b"; }), 1u);
  EXPECT_EQ(index.size(), 4u);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(index.Lookup(keys[i], kNow).status,
              i / 2 == 1 ? LookupStatus::kUnknown : LookupStatus::kFound) << i;
  }
  EXPECT_EQ(index.LookupRef({"team", "b"}, kNow).status, LookupStatus::kUnknown);
}

// An ApiKey rejected on the first pass but present when asked again under
// the write lock (created again meanwhile) keeps its keys.
TEST(KeyIndex, RetainApiKeysAsksAgainBeforeDropping) {
  KeyIndex index(NewPepper());
  ApiKeyRef ref{"team", "back"};
  index.SetPolicy(ClusterPolicy(ref));
  const std::string key = MintKey();
  index.AddKey(ref, index.hasher().Hash(key));
  int asked = 0;
  EXPECT_EQ(index.RetainApiKeys([&asked](const std::string&) { return ++asked > 1; }), 0u);
  EXPECT_EQ(asked, 2);
  EXPECT_EQ(index.Lookup(key, kNow).status, LookupStatus::kFound);
}

TEST(KeyIndex, ADigestStaysWithItsFirstApiKey) {
  KeyIndex index(NewPepper());
  ApiKeyRef first{"team-a", "logs"}, second{"team-b", "copy"};
  index.SetPolicy(ClusterPolicy(first));
  index.SetPolicy(ClusterPolicy(second));
  std::string key = MintKey();
  KeyDigest digest = index.hasher().Hash(key);
  EXPECT_EQ(index.AddKey(first, digest), std::nullopt);
  EXPECT_EQ(index.AddKey(first, digest), std::nullopt);  // idempotent for its owner
  // Before, the digest moved to |second| silently and the key was decided
  // under the second ApiKey's policy.
  EXPECT_EQ(index.AddKey(second, digest), first);
  EXPECT_EQ(index.Lookup(key, kNow).policy->ref, first);
  EXPECT_TRUE(index.KeysOf(second).empty());
  index.RemoveApiKey(first);
  EXPECT_EQ(index.AddKey(second, digest), std::nullopt);  // free again
  EXPECT_EQ(index.Lookup(key, kNow).policy->ref, second);
}

TEST(KeyIndex, DifferentPeppersDoNotMatch) {
  KeyIndex a(NewPepper()), b(NewPepper());
  std::string key = MintKey();
  EXPECT_NE(a.hasher().Hash(key), b.hasher().Hash(key));
}

TEST(KeyIndex, DisabledAndExpiredAtLookup) {
  KeyIndex index(NewPepper());
  ApiKeyRef ref{"ns", "k"};
  std::string key = MintKey();
  index.AddKey(ref, index.hasher().Hash(key));
  auto p = std::make_shared<IndexedPolicy>(*ClusterPolicy(ref));
  p->policy.expires_at = kNow + std::chrono::seconds(10);
  index.SetPolicy(p);
  EXPECT_EQ(index.Lookup(key, kNow).status, LookupStatus::kFound);
  EXPECT_EQ(index.Lookup(key, kNow + std::chrono::seconds(10)).status, LookupStatus::kExpired);
  auto disabled = std::make_shared<IndexedPolicy>(*p);
  disabled->policy.disabled = true;
  index.SetPolicy(disabled);
  EXPECT_EQ(index.Lookup(key, kNow).status, LookupStatus::kDisabled);
}

TEST(KeyIndex, RotationOverlapAndRemoval) {
  KeyIndex index(NewPepper());
  ApiKeyRef ref{"ns", "k"};
  std::string old_key = MintKey(), new_key = MintKey();
  KeyDigest old_d = index.hasher().Hash(old_key), new_d = index.hasher().Hash(new_key);
  index.SetPolicy(ClusterPolicy(ref));
  index.AddKey(ref, old_d);
  index.AddKey(ref, new_d);
  index.RetireKey(ref, old_d, kNow + std::chrono::hours(1));
  EXPECT_EQ(index.Lookup(old_key, kNow).status, LookupStatus::kFound);
  EXPECT_EQ(index.Lookup(old_key, kNow + std::chrono::hours(1)).status, LookupStatus::kExpired);
  EXPECT_EQ(index.Lookup(new_key, kNow + std::chrono::hours(2)).status, LookupStatus::kFound);
  EXPECT_EQ(index.KeysOf(ref).size(), 2u);
  index.RetainKeys(ref, {new_d});
  EXPECT_EQ(index.KeysOf(ref).size(), 1u);
  EXPECT_EQ(index.Lookup(old_key, kNow).status, LookupStatus::kUnknown);
  index.RemoveApiKey(ref);
  EXPECT_EQ(index.Lookup(new_key, kNow).status, LookupStatus::kUnknown);
  EXPECT_EQ(index.size(), 0u);
}

TEST(KeyIndex, TheGenerationMovesWithEveryWriteAndNotWithLookups) {
  KeyIndex index(NewPepper());
  ApiKeyRef ref{"ns", "k"};
  std::string key = MintKey(), other = MintKey();
  KeyDigest d = index.hasher().Hash(key), o = index.hasher().Hash(other);
  std::uint64_t seen = index.generation();
  auto moved = [&] {
    const std::uint64_t now = index.generation();
    const bool changed = now != seen;
    seen = now;
    return changed;
  };
  index.SetPolicy(ClusterPolicy(ref));
  EXPECT_TRUE(moved());
  index.AddKey(ref, d);
  EXPECT_TRUE(moved());
  index.Lookup(key, kNow);
  index.LookupRef(ref, kNow);
  EXPECT_FALSE(moved());
  index.SetPolicy(ClusterPolicy(ref));  // a changed filter, scope or template
  EXPECT_TRUE(moved());
  index.AddKey(ref, o);
  index.RetireKey(ref, o, kNow);
  EXPECT_TRUE(moved());
  index.RemoveKey(ref, o);
  EXPECT_TRUE(moved());
  index.RetainKeys(ref, {d});
  EXPECT_TRUE(moved());
  index.RetainApiKeys([](const std::string&) { return false; });
  EXPECT_TRUE(moved());
  index.SetPolicy(ClusterPolicy(ref));
  index.RemoveApiKey(ref);
  EXPECT_TRUE(moved());
}

TEST(KeyIndex, ManyReadersOneWriter) {
  KeyIndex index(NewPepper());
  constexpr int kStable = 200;
  std::vector<std::string> stable;
  for (int i = 0; i < kStable; ++i) {
    ApiKeyRef ref{"ns", "stable-" + std::to_string(i)};
    stable.push_back(MintKey());
    index.SetPolicy(ClusterPolicy(ref));
    index.AddKey(ref, index.hasher().Hash(stable.back()));
  }
  std::atomic<bool> stop{false};
  std::atomic<long> misses{0}, lookups{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 4; ++r) {
    readers.emplace_back([&, r] {
      int i = r;
      while (!stop.load(std::memory_order_relaxed)) {
        if (index.Lookup(stable[i % kStable], kNow).status != LookupStatus::kFound) ++misses;
        ++lookups;
        ++i;
      }
    });
  }
  // The writer churns other keys: add, re-policy, remove.
  for (int i = 0; i < 3000; ++i) {
    ApiKeyRef ref{"churn", "k-" + std::to_string(i % 50)};
    std::string key = MintKey();
    index.SetPolicy(ClusterPolicy(ref));
    index.AddKey(ref, index.hasher().Hash(key));
    if (i % 3 == 0) index.RemoveApiKey(ref);
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(misses.load(), 0);
  EXPECT_GT(lookups.load(), 0);
}

}  // namespace
}  // namespace keyward
