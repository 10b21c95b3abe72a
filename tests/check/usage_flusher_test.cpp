#include "check/usage_flusher.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace keyward
