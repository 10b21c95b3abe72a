#include "controllers/reconcile_steps.h"

#include <gtest/gtest.h>

#include "controllers/apikey_status.h"

namespace keyward {
namespace {

using namespace std::chrono_literals;
const TimePoint kNow = *ParseRfc3339("2026-11-22T12:00:00Z");

ApiKey KeyWith(std::optional<Rotation> rotation, std::string requested = "") {
  ApiKey k;
  k.metadata.name = "logs";
  k.metadata.namespace_name = "team-a";
  k.metadata.generation = 3;
  k.spec.rotation = std::move(rotation);
  if (!requested.empty()) k.metadata.annotations[kRotateRequestedAnnotation] = requested;
  return k;
}

TEST(RotationDue, Table) {
  const TimePoint born = kNow - 1h;
  struct Row {
    const char* what;
    ApiKey key;
    std::optional<TimePoint> want;
  } rows[] = {
      {"no rotation", KeyWith(std::nullopt), std::nullopt},
      {"every 2h", KeyWith(Rotation{"2h", "10m"}), born + 2h},
      {"asked after birth", KeyWith(std::nullopt, "2026-11-22T11:30:00Z"), kNow - 30min},
      {"asked before birth is done", KeyWith(std::nullopt, "2026-11-22T10:00:00Z"), std::nullopt},
      {"asked, and periodic later", KeyWith(Rotation{"30d", "1h"}, "2026-11-22T11:30:00Z"),
       kNow - 30min},
      {"bad annotation ignored", KeyWith(Rotation{"2h", "1h"}, "soon"), born + 2h},
  };
  for (const Row& row : rows) EXPECT_EQ(RotationDue(row.key, born), row.want) << row.what;
}

TEST(RotationDue, EveryLongerThanTimeLeftIsNeverDueNow) {
  // born + 100000d does not fit in a TimePoint: due at the end of time, not
  // in the past (it wrapped, and the key rotated on every reconcile).
  auto due = RotationDue(KeyWith(Rotation{"100000d", "1h"}), kNow - 1h);
  ASSERT_TRUE(due);
  EXPECT_EQ(*due, TimePoint::max());
  EXPECT_GT(*due, kNow);
  WakeInputs wake{std::nullopt, std::nullopt, due, std::nullopt};
  auto next = NextWake(wake, kNow);
  ASSERT_TRUE(next);
  EXPECT_GT(*next, std::chrono::hours(24 * 365 * 200));
}

TEST(SecretCheckAfter, SpreadsKeysOverAFifthOfTheInterval) {
  const std::chrono::milliseconds interval = 5min;
  std::vector<int> buckets(20, 0);
  for (int i = 0; i < 10000; ++i) {
    auto after = SecretCheckAfter("team-" + std::to_string(i % 50) + "/key-" + std::to_string(i), interval);
    ASSERT_GE(after, interval);
    ASSERT_LT(after, interval + interval / 5);
    ++buckets[(after - interval) * 20 / (interval / 5)];
  }
  // 10,000 keys created together come due ~500 per 3 s slice, not at once.
  for (int n : buckets) {
    EXPECT_GT(n, 250);
    EXPECT_LT(n, 750);
  }
  EXPECT_EQ(SecretCheckAfter("team-a/logs", interval), SecretCheckAfter("team-a/logs", interval));
}

TEST(RotationOverlap, DefaultsToAnHour) {
  EXPECT_EQ(RotationOverlap(KeyWith(std::nullopt)), 1h);
  EXPECT_EQ(RotationOverlap(KeyWith(Rotation{"2h", "10m"})), 10min);
}

TEST(SetReadiness, PhaseAndReasonFromSpecOutcomeAndTime) {
  struct Row {
    const char* what;
    bool disabled;
    std::optional<TimePoint> expiry;
    KeyOutcome out;
    std::string hint;
    std::string phase, reason;
    bool ready;
  } rows[] = {
      {"minted", false, std::nullopt, {true, false, false, false, "minted into Secret x", {}, {}},
       "kw_Ab…", kPhaseActive, "Minted", true},
      {"lost volatile", false, std::nullopt, {true, true, false, false, "restarted", {}, {}}, "kw_Ab…",
       kPhaseActive, "VolatileKeyLost", true},
      {"rotated", false, std::nullopt, {false, false, true, false, "", {}, {}}, "kw_Ab…", kPhaseActive,
       "Rotated", true},
      {"conflict wins", true, std::nullopt, {false, false, false, true, "Secret x is not ours", {}, {}},
       "", kPhasePending, "SecretConflict", false},
      {"disabled", true, std::nullopt, {}, "kw_Ab…", kPhaseDisabled, "Disabled", false},
      {"expired", false, kNow, {}, "kw_Ab…", kPhaseExpired, "Expired", false},
      {"not yet expired", false, kNow + 1s, {}, "kw_Ab…", kPhaseActive, "Minted", true},
      {"follower, no key yet", false, std::nullopt, {}, "", kPhasePending, "Pending", false},
  };
  for (const Row& row : rows) {
    ApiKey key = KeyWith(std::nullopt);
    key.spec.disabled = row.disabled;
    ApiKeyStatus status;
    status.key_hint = row.hint;
    SetReadiness(key, row.out, row.expiry, kNow, &status);
    EXPECT_EQ(status.phase, row.phase) << row.what;
    const Condition* ready = FindCondition(status, "Ready");
    ASSERT_NE(ready, nullptr) << row.what;
    EXPECT_EQ(ready->reason, row.reason) << row.what;
    EXPECT_EQ(ready->status, row.ready ? "True" : "False") << row.what;
    EXPECT_EQ(ready->observed_generation, 3) << row.what;
  }
}

TEST(SetReadiness, UnchangedActiveKeyKeepsItsReason) {
  ApiKey key = KeyWith(std::nullopt);
  ApiKeyStatus status;
  status.key_hint = "kw_Ab…";
  SetReadyCondition(&status, true, "Rotated", "rotated at noon", 3, kNow - 1h);
  SetReadiness(key, KeyOutcome{}, std::nullopt, kNow, &status);
  EXPECT_EQ(FindCondition(status, "Ready")->reason, "Rotated");
  EXPECT_EQ(FindCondition(status, "Ready")->last_transition_time, FormatRfc3339(kNow - 1h));
}

TEST(EventsFor, OneEventPerStateChange) {
  ApiKey key = KeyWith(std::nullopt);
  key.status.phase = kPhaseActive;
  ApiKeyStatus same = key.status;
  EXPECT_TRUE(EventsFor(key, same, KeyOutcome{}).empty());

  KeyOutcome minted{true, false, false, false, "minted", {}, {}};
  auto events = EventsFor(key, same, minted);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].reason, "Minted");
  EXPECT_EQ(events[0].type, "Normal");

  KeyOutcome lost{true, true, false, false, "lost", {}, {}};
  EXPECT_EQ(EventsFor(key, same, lost)[0].type, "Warning");

  ApiKeyStatus disabled = key.status;
  disabled.phase = kPhaseDisabled;
  EXPECT_EQ(EventsFor(key, disabled, KeyOutcome{})[0].reason, "Disabled");
  ApiKeyStatus expired = key.status;
  expired.phase = kPhaseExpired;
  EXPECT_EQ(EventsFor(key, expired, KeyOutcome{})[0].reason, "Expired");
}

TEST(NextWake, EarliestFutureTimePlusOneMillisecond) {
  struct Row {
    const char* what;
    WakeInputs in;
    std::optional<std::chrono::milliseconds> want;
  } rows[] = {
      {"nothing: await change", {}, std::nullopt},
      {"expiry", {kNow + 5s, {}, {}, {}}, 5001ms},
      {"past times ignored", {kNow - 5s, kNow, {}, {}}, std::nullopt},
      {"secret check sooner", {kNow + 1h, {}, {}, 5min}, 5min},
      {"overlap end sooner", {kNow + 1h, kNow + 10min, kNow + 2h, 5h}, 600001ms},
      {"next rotation", {{}, {}, kNow + 2h, {}}, 7200001ms},
  };
  for (const Row& row : rows) EXPECT_EQ(NextWake(row.in, kNow), row.want) << row.what;
}

}  // namespace
}  // namespace keyward
