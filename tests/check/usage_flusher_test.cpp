#include "check/usage_flusher.h"

#include <gtest/gtest.h>

#include <limits>

#include "kube/fake_kube_client.h"

namespace keyward {
namespace {

const TimePoint kNow = *ParseRfc3339("2026-11-22T12:00:00Z");

ResourcePath KeyPath(const std::string& name) {
  return {kApiVersion, "apikeys", "team-a", name, ""};
}

web::json::value ApiKeyObject(const std::string& name) {
  web::json::value obj;
  obj["apiVersion"] = web::json::value::string(kApiVersion);
  obj["kind"] = web::json::value::string("ApiKey");
  obj["metadata"]["name"] = web::json::value::string(name);
  obj["metadata"]["namespace"] = web::json::value::string("team-a");
  obj["status"]["phase"] = web::json::value::string("Active");
  return obj;
}

TEST(UsageFlusher, WritesUsageAndLastUsedAtAndLeavesTheRestOfStatus) {
  FakeKubeClient kube;
  kube.Put(KeyPath("a"), ApiKeyObject("a"));
  QuotaBook book;
  for (int i = 0; i < 5; ++i) book.TryConsume({"team-a", "a"}, Limits{}, kNow);
  UsageFlusher flusher(kube, book, std::chrono::seconds(30), [] { return kNow; });
  FlushCounts counts = flusher.FlushOnce();
  EXPECT_EQ(counts.written, 1);
  web::json::value st = kube.Object(KeyPath("a")).at("status");
  EXPECT_EQ(st.at("usage").at("today").as_number().to_int64(), 5);
  EXPECT_EQ(st.at("usage").at("thisMonth").as_number().to_int64(), 5);
  EXPECT_EQ(st.at("usage").at("total").as_number().to_int64(), 5);
  EXPECT_EQ(st.at("lastUsedAt").as_string(), "2026-11-22T12:00:00Z");
  EXPECT_EQ(st.at("phase").as_string(), "Active");
  // Nothing used since: no write at all.
  EXPECT_EQ(flusher.FlushOnce().written, 0);
  EXPECT_EQ(kube.CountCalls("patch"), 1);
}

TEST(UsageFlusher, AFailedWriteIsRetriedAndADeletedKeyIsForgotten) {
  FakeKubeClient kube;
  kube.Put(KeyPath("a"), ApiKeyObject("a"));
  QuotaBook book;
  book.TryConsume({"team-a", "a"}, Limits{}, kNow);
  book.TryConsume({"team-a", "gone"}, Limits{}, kNow);
  UsageFlusher flusher(kube, book, std::chrono::seconds(30), [] { return kNow; });
  kube.FailNext("patch", {500, "InternalError", "etcd leader changed"});
  kube.FailNext("patch", {500, "InternalError", "etcd leader changed"});
  FlushCounts first = flusher.FlushOnce();
  EXPECT_EQ(first.failed, 2);
  FlushCounts second = flusher.FlushOnce();
  EXPECT_EQ(second.written, 1);
  EXPECT_EQ(second.gone, 1);
  EXPECT_EQ(flusher.FlushOnce().written + flusher.FlushOnce().gone, 0);
  EXPECT_EQ(kube.Object(KeyPath("a")).at("status").at("usage").at("total").as_number().to_int64(),
            1);
}

TEST(UsageFlusher, WhatWasWrittenRestoresTheCounts) {
  FakeKubeClient kube;
  kube.Put(KeyPath("a"), ApiKeyObject("a"));
  {
    QuotaBook book;
    for (int i = 0; i < 40; ++i) book.TryConsume({"team-a", "a"}, Limits{}, kNow);
    UsageFlusher flusher(kube, book, std::chrono::hours(1), [] { return kNow; });
    flusher.Start();
    flusher.Stop();  // the last batch is written on the way out
  }
  FieldErrors ignored;
  ApiKey written = ParseApiKey(kube.Object(KeyPath("a")), &ignored);
  std::optional<FlushedUsage> flushed = FlushedUsageOf(written.status);
  ASSERT_TRUE(flushed);
  EXPECT_EQ(flushed->total, 40);
  QuotaBook restarted([&](const ApiKeyRef&) { return flushed; });
  Limits day{std::nullopt, 50, std::nullopt};
  QuotaResult r = restarted.TryConsume({"team-a", "a"}, day, kNow + Seconds(1));
  EXPECT_EQ(r.remaining_day, 9);
  EXPECT_EQ(restarted.TakeChanged(kNow).front().total, 41);
}

TEST(UsageFlusher, NoLastUsedAtMeansNothingToRestore) {
  ApiKeyStatus status;
  status.usage.today = 4;
  EXPECT_FALSE(FlushedUsageOf(status));
}

// Days and months roll over in the daily and monthly lists, which keep
// what earlier flushes wrote (read back from the cache), newest first.
TEST(UsageFlusher, DailyAndMonthlyHistoryRollsOver) {
  FakeKubeClient kube;
  kube.Put(KeyPath("a"), ApiKeyObject("a"));
  QuotaBook book;
  TimePoint now = *ParseRfc3339("2026-10-31T23:59:00Z");
  auto history = [&kube](const ApiKeyRef& ref) -> std::optional<StoredUsage> {
    return StoredUsageOf(kube.Object(KeyPath(ref.name)));
  };
  UsageFlusher flusher(kube, book, std::chrono::seconds(30), [&now] { return now; }, history);
  for (int i = 0; i < 3; ++i) book.TryConsume({"team-a", "a"}, Limits{}, now);
  flusher.FlushOnce();
  now = *ParseRfc3339("2026-11-01T00:01:00Z");
  for (int i = 0; i < 2; ++i) book.TryConsume({"team-a", "a"}, Limits{}, now);
  flusher.FlushOnce();
  FieldErrors ignored;
  Usage u = ParseApiKey(kube.Object(KeyPath("a")), &ignored).status.usage;
  EXPECT_EQ(u.daily, (std::vector<PeriodCount>{{"2026-11-01", 2}, {"2026-10-31", 3}}));
  EXPECT_EQ(u.monthly, (std::vector<PeriodCount>{{"2026-11", 2}, {"2026-10", 3}}));
  EXPECT_EQ(u.total, 5);
  EXPECT_EQ(u.today, 2);
}

TEST(UsageFlusher, HistoryIsBounded) {
  Usage history;
  for (int d = 1; d <= 31; ++d) {
    history.daily.push_back({"2026-10-" + std::string(d < 10 ? "0" : "") + std::to_string(d), d});
  }
  for (int m = 1; m <= 12; ++m) {
    history.monthly.push_back({"2025-" + std::string(m < 10 ? "0" : "") + std::to_string(m), m});
  }
  UsageSnapshot snap{{"team-a", "a"}, 7, 7, 100, *ParseRfc3339("2026-11-01T08:00:00Z"), {}, {}};
  web::json::value patch = UsagePatch(snap, history);
  const auto& daily = patch.at("status").at("usage").at("daily").as_array();
  const auto& monthly = patch.at("status").at("usage").at("monthly").as_array();
  ASSERT_EQ(daily.size(), 31u);
  EXPECT_EQ(daily.at(0).at("date").as_string(), "2026-11-01");
  EXPECT_EQ(daily.at(30).at("date").as_string(), "2026-10-02");  // 2026-10-01 is past the 31 days
  ASSERT_LE(monthly.size(), 12u);
  EXPECT_EQ(monthly.at(0).at("month").as_string(), "2026-11");
  EXPECT_EQ(monthly.at(monthly.size() - 1).at("month").as_string(), "2025-12");  // a year back at most
}

// The status an ApiKey would hold after another replica wrote |total|
// requests, |today| of them on kNow's day.
web::json::value WrittenByAnother(const std::string& name, std::int64_t today, std::int64_t total) {
  web::json::value obj = ApiKeyObject(name);
  obj["status"]["usage"]["today"] = web::json::value::number(today);
  obj["status"]["usage"]["thisMonth"] = web::json::value::number(total);
  obj["status"]["usage"]["total"] = web::json::value::number(total);
  obj["status"]["lastUsedAt"] = web::json::value::string(FormatRfc3339(kNow - Seconds(30)));
  return obj;
}

std::int64_t StatusTotal(FakeKubeClient& kube, const std::string& name) {
  return kube.Object(KeyPath(name)).at("status").at("usage").at("total").as_number().to_int64();
}

// issue 28, item 3: a follower that becomes leader restored its counts
// once, before the old leader wrote 60 more. Its 1 request is added to the
// 60; before, it wrote its own 1 and usage went backwards.
TEST(UsageFlusher, ANewLeaderAddsItsOwnCountsToWhatStatusHolds) {
  FakeKubeClient kube;
  kube.Put(KeyPath("a"), ApiKeyObject("a"));
  QuotaBook book([](const ApiKeyRef&) { return std::optional<FlushedUsage>(); });  // nothing to restore
  book.TryConsume({"team-a", "a"}, Limits{}, kNow);
  kube.Put(KeyPath("a"), WrittenByAnother("a", 60, 60));  // the old leader's last flush
  auto cache = [&kube](const ApiKeyRef& ref) -> std::optional<StoredUsage> {
    return StoredUsageOf(kube.Object(KeyPath(ref.name)));
  };
  UsageFlusher flusher(kube, book, std::chrono::seconds(30), [] { return kNow; }, cache);
  EXPECT_EQ(flusher.FlushOnce().written, 1);
  EXPECT_EQ(StatusTotal(kube, "a"), 61);
  web::json::value usage = kube.Object(KeyPath("a")).at("status").at("usage");
  EXPECT_EQ(usage.at("today").as_number().to_int64(), 61);
  EXPECT_EQ(usage.at("daily").at(0).at("count").as_number().to_int64(), 61);
  // The book counts the other replica's requests too: a day quota of 62
  // has one left, not 61.
  Limits day{std::nullopt, 62, std::nullopt};
  EXPECT_TRUE(book.TryConsume({"team-a", "a"}, day, kNow).allowed);
  EXPECT_FALSE(book.TryConsume({"team-a", "a"}, day, kNow).allowed);
  // Only what was counted since is added next time: 62, not 123.
  flusher.FlushOnce();
  EXPECT_EQ(StatusTotal(kube, "a"), 62);
}

// The cache is behind (another replica wrote after the watch delivered the
// status): the write is conditional on the resourceVersion, is refused,
// and the flusher reads status again and merges again.
TEST(UsageFlusher, AStaleCacheIsReadAgainNotOverwritten) {
  FakeKubeClient kube;
  kube.Put(KeyPath("a"), WrittenByAnother("a", 10, 10));
  web::json::value stale = kube.Object(KeyPath("a"));
  kube.Put(KeyPath("a"), WrittenByAnother("a", 50, 50));  // written after the cache read
  QuotaBook book([&](const ApiKeyRef&) {
    FieldErrors ignored;
    return FlushedUsageOf(ParseApiKey(stale, &ignored).status);
  });
  for (int i = 0; i < 3; ++i) book.TryConsume({"team-a", "a"}, Limits{}, kNow);
  UsageFlusher flusher(kube, book, std::chrono::seconds(30), [] { return kNow; },
                       [&stale](const ApiKeyRef&) -> std::optional<StoredUsage> { return StoredUsageOf(stale); });
  EXPECT_EQ(flusher.FlushOnce().written, 1);
  EXPECT_EQ(kube.CountCalls("patch"), 2);  // refused once, then written
  EXPECT_EQ(kube.CountCalls("get"), 1);
  EXPECT_EQ(StatusTotal(kube, "a"), 53);  // the 50 written meanwhile and this replica's 3
}

TEST(UsageFlusher, MergeNeverGoesBelowEitherSide) {
  UsageSnapshot mine;
  mine.ref = {"team-a", "a"};
  mine.last_used = kNow;
  mine.counts = SharedCounts{DayNumber(kNow), 5, MonthNumber(kNow), 5, 5, kNow};
  mine.in_status = mine.counts;  // all of it written already
  StoredUsage older{Usage{2, 2, 2, {}, {}}, kNow - Seconds(60), "7"};  // a replica behind
  MergedUsage merged = MergeUsage(mine, older);
  EXPECT_EQ(merged.snapshot.total, 5);
  EXPECT_EQ(merged.snapshot.today, 5);
  // Status from the next day (another replica counted after midnight):
  // its day stands, and this replica's own counts of its earlier day go
  // into that day's daily entry.
  mine.in_status = SharedCounts{DayNumber(kNow), 3, MonthNumber(kNow), 3, 3, kNow};
  const TimePoint tomorrow = kNow + std::chrono::hours(24);
  StoredUsage newer{Usage{4, 9, 9, {{"2026-11-23", 4}, {"2026-11-22", 3}}, {{"2026-11", 9}}}, tomorrow, "8"};
  merged = MergeUsage(mine, newer);
  EXPECT_EQ(merged.snapshot.last_used, tomorrow);
  EXPECT_EQ(merged.snapshot.today, 4);
  EXPECT_EQ(merged.snapshot.total, 11);  // 9 + the 2 not yet written
  EXPECT_EQ(merged.history.daily, (std::vector<PeriodCount>{{"2026-11-23", 4}, {"2026-11-22", 5}}));
}

// Status is read back: a hostile count (negative, or near INT64_MAX) is
// clamped, so status plus this replica's counts cannot overflow.
TEST(UsageFlusher, HostileCountsInStatusAreClamped) {
  web::json::value obj = WrittenByAnother("a", -5, 0);
  obj["status"]["usage"]["total"] = web::json::value::number(std::numeric_limits<std::int64_t>::max());
  StoredUsage stored = StoredUsageOf(obj);
  EXPECT_EQ(stored.usage.today, 0);
  EXPECT_EQ(stored.usage.total, 1'000'000'000'000'000);
  UsageSnapshot mine;
  mine.last_used = kNow;
  mine.counts = SharedCounts{DayNumber(kNow), 3, MonthNumber(kNow), 3, 3, kNow};
  EXPECT_EQ(MergeUsage(mine, stored).snapshot.total, 1'000'000'000'000'003);
}

// issue 28, item 4: leadership is checked before each write, not once per
// batch: a replica that stops leading mid-batch writes nothing more.
TEST(UsageFlusher, LeadershipIsCheckedBeforeEachWrite) {
  FakeKubeClient kube;
  QuotaBook book;
  for (const char* name : {"a", "b", "c"}) {
    kube.Put(KeyPath(name), ApiKeyObject(name));
    book.TryConsume({"team-a", name}, Limits{}, kNow);
  }
  bool leader = true;
  kube.before_call = [&](const std::string& verb) {
    if (verb == "patch") leader = false;  // lost right after the first write went out
  };
  UsageFlusher flusher(kube, book, std::chrono::seconds(30), [] { return kNow; });
  flusher.OnlyWhen([&] { return leader; });
  FlushCounts counts = flusher.FlushOnce();
  EXPECT_EQ(counts.written, 1);
  EXPECT_EQ(counts.deferred, 2);
  EXPECT_EQ(kube.CountCalls("patch"), 1);
  leader = true;
  kube.before_call = nullptr;
  EXPECT_EQ(flusher.FlushOnce().written, 2);  // kept for the next leader's batch
}

}  // namespace
}  // namespace keyward
