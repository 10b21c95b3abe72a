#include "controllers/secret_checks.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "keys/key_format.h"

namespace keyward {
namespace {

using namespace std::chrono_literals;

const TimePoint kT0 = TimePoint(std::chrono::seconds(1'800'000'000));

SecretKeyState Plain(std::uint8_t fill) {
  SecretKeyState s;
  s.outcome = SecretKeyState::Outcome::kExisting;
  s.digest.fill(fill);
  s.hint = KeyHint("kw_" + std::string(kKeyLength - 3, 'a' + fill % 26));
  s.minted_at = kT0 - 3h;
  return s;
}

void ExpectSame(const SecretKeyState& a, const SecretKeyState& b) {
  EXPECT_EQ(a.digest, b.digest);
  EXPECT_EQ(a.hint, b.hint);
  EXPECT_EQ(a.message, b.message);
  EXPECT_EQ(a.minted_at, b.minted_at);
  EXPECT_EQ(a.previous, b.previous);
  EXPECT_EQ(a.previous_pepper, b.previous_pepper);
}

TEST(SecretChecks, RecallsWhatWasRememberedUntilTheIntervalEnds) {
  SecretChecks checks;
  EXPECT_FALSE(checks.Recall("ns/a", kT0, 5min));
  SecretKeyState secret = Plain(7);
  ASSERT_LE(secret.hint.size(), 15u);  // the compact record's case
  checks.Remember("ns/a", secret, kT0);
  auto recalled = checks.Recall("ns/a", kT0 + 4min, 5min);
  ASSERT_TRUE(recalled);
  ExpectSame(*recalled, secret);
  EXPECT_FALSE(checks.Recall("ns/a", kT0 + 5min, 5min));  // due for a check
  EXPECT_FALSE(checks.Recall("ns/b", kT0, 5min));
}

TEST(SecretChecks, ASecretWithMoreToSayIsKeptWhole) {
  SecretChecks checks;
  SecretKeyState secret = Plain(1);
  secret.outcome = SecretKeyState::Outcome::kMinted;
  secret.previous = PreviousKey{Plain(2).digest, kT0 + 1h};
  secret.previous_pepper = "p2";
  secret.message = "status.keyHash did not match the Secret's key";
  checks.Remember("ns/a", secret, kT0);
  auto recalled = checks.Recall("ns/a", kT0, 5min);
  ASSERT_TRUE(recalled);
  ExpectSame(*recalled, secret);
  // Back to a plain Secret (the overlap ended): nothing of the old is left.
  checks.Remember("ns/a", Plain(3), kT0 + 1min);
  recalled = checks.Recall("ns/a", kT0 + 1min, 5min);
  ASSERT_TRUE(recalled);
  ExpectSame(*recalled, Plain(3));
  // No recorded mint time stays none.
  SecretKeyState old = Plain(4);
  old.minted_at.reset();
  checks.Remember("ns/a", old, kT0 + 2min);
  EXPECT_FALSE(checks.Recall("ns/a", kT0 + 2min, 5min)->minted_at);
}

TEST(SecretChecks, AKeyOverTheBudgetKeepsOnePlaceUntilItComes) {
  RateLimiter budget(1, 1);  // one check a second
  SecretChecks checks;
  const auto t = RateLimiter::SteadyClock::now();
  EXPECT_EQ(checks.Slot("ns/a", &budget, t), 0ms);  // the burst token
  EXPECT_EQ(checks.size(), 0u);                     // nothing to remember
  auto b = checks.Slot("ns/b", &budget, t);
  auto c = checks.Slot("ns/c", &budget, t);
  EXPECT_GT(b, 900ms);
  EXPECT_LE(b, 1000ms);
  EXPECT_GT(c - b, 900ms);
  // Asked again before its place comes, a key keeps it and takes no other.
  EXPECT_EQ(checks.Slot("ns/b", &budget, t + 500ms), b - 500ms);
  EXPECT_EQ(checks.Slot("ns/b", &budget, t + b), 0ms);  // its turn
  EXPECT_EQ(checks.size(), 1u);                         // c still waits
  checks.Forget("ns/c");
  EXPECT_EQ(checks.size(), 0u);
}

TEST(SecretChecks, APlaceAndAMemoryShareOneRecord) {
  RateLimiter budget(1, 1);
  SecretChecks checks;
  const auto t = RateLimiter::SteadyClock::now();
  checks.Remember("ns/a", Plain(5), kT0);
  EXPECT_EQ(checks.Slot("ns/z", &budget, t), 0ms);
  auto wait = checks.Slot("ns/a", &budget, t);
  EXPECT_GT(wait, 0ms);
  EXPECT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks.Slot("ns/a", &budget, t + wait), 0ms);
  ASSERT_TRUE(checks.Recall("ns/a", kT0, 5min));  // the memory outlives the place
  checks.Forget("ns/a");
  EXPECT_FALSE(checks.Recall("ns/a", kT0, 5min));
}

TEST(SecretChecks, ManyThreadsAtOnce) {
  SecretChecks checks;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) {
        // Each thread its own keys (another's Forget would race its Recall).
        const std::string key = "ns/k" + std::to_string(t) + "-" + std::to_string(i % 50);
        checks.Remember(key, Plain(static_cast<std::uint8_t>(t)), kT0);
        auto r = checks.Recall(key, kT0, 5min);
        ASSERT_TRUE(r);
        if (i % 7 == 0) checks.Forget(key);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(checks.size(), 200u);
}

}  // namespace
}  // namespace keyward
