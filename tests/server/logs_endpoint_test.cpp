// /v1/logs and the LogStream behind it, with a scripted API server log.
#include "server/logs_endpoint.h"

#include <gtest/gtest.h>

#include <deque>
#include <mutex>
#include <thread>

#include "check/fake_owners.h"
#include "server/log_stream.h"

namespace keyward {
namespace {

using namespace std::chrono_literals;
const TimePoint kNow = *ParseRfc3339("2026-11-22T12:00:00Z");

// The API server's side of one pods/log stream: pieces the test feeds,
// an end, or a refusal at Open.
struct FakeLog {
  std::mutex mu;
  std::deque<std::string> pieces;
  bool ended = false;
  PodLogOpen open{200, ""};
  PodLogRequest asked;
  int reads = 0;
  void Feed(std::string s) {
    std::lock_guard lock(mu);
    pieces.push_back(std::move(s));
  }
  void End() {
    std::lock_guard lock(mu);
    ended = true;
  }
};

struct FakeReader : PodLogReader {
  std::shared_ptr<FakeLog> log;
  explicit FakeReader(std::shared_ptr<FakeLog> l) : log(std::move(l)) {}
  PodLogOpen Open(const PodLogRequest& request) override {
    std::lock_guard lock(log->mu);
    log->asked = request;
    return log->open;
  }
  Read ReadSome(std::string* out, std::chrono::milliseconds wait) override {
    {
      std::lock_guard lock(log->mu);
      ++log->reads;
      if (!log->pieces.empty()) {
        *out += log->pieces.front();
        log->pieces.pop_front();
        return Read::kData;
      }
      if (log->ended) return Read::kEnd;
    }
    std::this_thread::sleep_for(std::min(wait, std::chrono::milliseconds(5)));
    return Read::kTimeout;
  }
};

// Everything the stream gives until it ends (or |limit| passes).
std::string Drain(BodyStream& s, std::chrono::milliseconds limit = 3000ms) {
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    BodyStream::Poll p = s.Take(&out);
    if (p == BodyStream::Poll::kEnd) return out;
    if (p == BodyStream::Poll::kWait) std::this_thread::sleep_for(2ms);
  }
  return out + "<not ended>";
}

TEST(LogStream, WholeLinesThatPassTheFilterAcrossPieces) {
  auto log = std::make_shared<FakeLog>();
  log->Feed("GET /a 200\nPOST /b 5");
  log->Feed("00\nGET /c 404\nlast GET without newline");
  log->End();
  LogStreamOptions o;
  o.filter = "GET";
  LogStream s(std::make_unique<FakeReader>(log), o);
  EXPECT_EQ(Drain(s), "GET /a 200\nGET /c 404\nlast GET without newline");
  EXPECT_EQ(s.ended_because(), "end");
}

TEST(LogStream, EndsWithinARecheckOnceTheKeyIsNoLongerAllowed) {
  auto log = std::make_shared<FakeLog>();
  std::atomic<bool> allowed{true};
  LogStreamOptions o;
  o.recheck = 50ms;
  o.rules = [&] { return LogRules{allowed.load(), ""}; };
  LogStream s(std::make_unique<FakeReader>(log), o);
  log->Feed("before\n");
  std::string got;
  while (got.empty()) {
    s.Take(&got);
    std::this_thread::sleep_for(2ms);
  }
  EXPECT_EQ(got, "before\n");
  allowed = false;
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Drain(s), "");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_EQ(s.ended_because(), "revoked");
}

// Takes from |s| until something comes (or |limit| passes).
std::string TakeSome(BodyStream& s, std::chrono::milliseconds limit = 3000ms) {
  std::string got;
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (got.empty() && std::chrono::steady_clock::now() < deadline) {
    if (s.Take(&got) == BodyStream::Poll::kEnd) return got + "<ended>";
    std::this_thread::sleep_for(2ms);
  }
  return got;
}

// Waits until the stream's reader has read every piece fed so far.
void WaitRead(FakeLog& log) {
  auto deadline = std::chrono::steady_clock::now() + 3s;
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(log.mu);
      if (log.pieces.empty()) return;
    }
    std::this_thread::sleep_for(2ms);
  }
}

// The rules of a stream as a test changes them, and the generation that
// says so: no timed recheck (an hour), so only the generation can tell.
struct ChangingRules {
  std::mutex mu;
  LogRules now;
  std::atomic<std::uint64_t> generation{1};
  LogStreamOptions Options() {
    LogStreamOptions o;
    o.filter = now.filter;
    o.recheck = std::chrono::hours(1);
    o.rules = [this] {
      std::lock_guard lock(mu);
      return now;
    };
    o.generation = [this] { return generation.load(); };
    o.generation_at_open = generation.load();
    return o;
  }
  void Set(bool allowed, std::string filter) {
    {
      std::lock_guard lock(mu);
      now = {allowed, std::move(filter)};
    }
    ++generation;
  }
};

TEST(LogStream, ANewFilterAppliesToThePiecesReadAfterTheChange) {
  auto log = std::make_shared<FakeLog>();
  ChangingRules rules;
  rules.now = {true, "ERROR"};
  LogStream s(std::make_unique<FakeReader>(log), rules.Options());
  log->Feed("ERROR a\nWARN b\nERROR par");
  EXPECT_EQ(TakeSome(s), "ERROR a\n");
  rules.Set(true, "WARN");
  log->Feed("tial\nERROR c\nWARN d\n");
  EXPECT_EQ(TakeSome(s), "WARN d\n");  // the line completed after the change too
  rules.Set(true, "");
  log->Feed("anything\n");
  log->End();
  EXPECT_EQ(Drain(s), "anything\n");
}

TEST(LogStream, AKeyNoLongerAllowedEndsBeforeTheNextPiece) {
  auto log = std::make_shared<FakeLog>();
  ChangingRules rules;
  LogStream s(std::make_unique<FakeReader>(log), rules.Options());
  log->Feed("before\n");
  EXPECT_EQ(TakeSome(s), "before\n");
  rules.Set(false, "");
  log->Feed("after\n");
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Drain(s), "");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_EQ(s.ended_because(), "revoked");
}

TEST(LogStream, WhatTheClientHadNotTakenWhenTheKeyStoppedIsDropped) {
  auto log = std::make_shared<FakeLog>();
  ChangingRules rules;
  LogStream s(std::make_unique<FakeReader>(log), rules.Options());
  log->Feed("read, never taken\n");
  WaitRead(*log);
  rules.Set(false, "");
  auto deadline = std::chrono::steady_clock::now() + 3s;  // nothing taken meanwhile
  while (s.ended_because().empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(2ms);
  }
  EXPECT_EQ(s.ended_because(), "revoked");
  EXPECT_EQ(Drain(s), "");
}

TEST(LogStream, AClientThatDoesNotReadStopsTheReadingAtTheBound) {
  auto log = std::make_shared<FakeLog>();
  for (int i = 0; i < 1000; ++i) log->Feed(std::string(1023, 'x') + "\n");  // 1 MiB
  LogStreamOptions o;
  o.max_buffered = 64 * 1024;
  o.recheck = 20ms;
  LogStream s(std::make_unique<FakeReader>(log), o);
  std::this_thread::sleep_for(300ms);  // nobody takes anything
  std::size_t left;
  {
    std::lock_guard lock(log->mu);
    left = log->pieces.size();
  }
  EXPECT_GE(left, 1000u - 65u);  // at most the bound (plus one piece) was read
  std::string first;
  s.Take(&first);
  EXPECT_LE(first.size(), 65u * 1024);
  log->End();
  std::string rest = Drain(s, 10000ms);
  EXPECT_EQ(first.size() + rest.size(), 1000u * 1024);  // nothing lost once it reads
}

TEST(LogStream, CancelStopsTheReaderThread) {
  auto log = std::make_shared<FakeLog>();
  auto s = std::make_unique<LogStream>(std::make_unique<FakeReader>(log), LogStreamOptions{});
  s->Cancel();
  auto start = std::chrono::steady_clock::now();
  s.reset();  // joins
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

struct Logs {
  KeyIndex index{"pepper-for-tests-0123456789abcdef"};
  FakeOwners owners;
  QuotaBook quotas;
  CheckService service{index, owners, quotas};
  std::shared_ptr<FakeLog> log = std::make_shared<FakeLog>();
  std::atomic<int> open{0};
  LogsEndpointEnv env;
  std::vector<std::string> storage;

  Logs() {
    storage.reserve(64);
    owners.pods["prod/web-1"] = PodOwner{};
    env.service = &service;
    env.new_reader = [this] { return std::make_unique<FakeReader>(log); };
    env.now = [] { return kNow; };
    env.open_streams = &open;
    env.max_streams = 2;
  }
  // Gives ApiKey |name| |scope| on web-1's container |container| (with
  // |filter|), as the controller does when the ApiKey or its template changes.
  void SetRules(const std::string& name, Scope scope, const std::string& filter = "", Limits limits = {},
                const std::string& container = "app", bool disabled = false) {
    auto p = std::make_shared<IndexedPolicy>();
    p->ref = {"team-a", name};
    AccessRule r;
    r.scope = scope;
    r.namespaces = {"prod"};
    if (scope == Scope::kContainer || scope == Scope::kFilter) {
      r.pods = {"web-1"};
      r.containers = {container};
    }
    r.filter = filter;
    p->policy.rules = {r};
    p->policy.disabled = disabled;
    p->limits = limits;
    index.SetPolicy(p);
  }
  // A key allowed |scope| on web-1's container "app" (with |filter|).
  std::string Add(const std::string& name, Scope scope, const std::string& filter = "",
                  Limits limits = {}) {
    SetRules(name, scope, filter, limits);
    std::string key = MintKey();
    index.AddKey({"team-a", name}, index.hasher().Hash(key));
    return key;
  }
  HttpResponse Get(const std::string& path, const std::string& query, const std::string& key) {
    HttpRequest r;
    r.method = "GET";
    r.path = storage.emplace_back(path);
    r.query = storage.emplace_back(query);
    if (!key.empty()) {
      r.headers.emplace_back("Authorization", storage.emplace_back("Bearer " + key));
    }
    return HandleLogs(env, r);
  }
};

TEST(LogsEndpoint, TheAllowedContainerStreamsTheOtherIs403) {
  Logs l;
  std::string key = l.Add("app-only", Scope::kContainer);
  l.log->Feed("hello\n");
  l.log->End();
  HttpResponse ok = l.Get("/v1/logs/prod/web-1/app", "follow=true&tailLines=10&timestamps", key);
  ASSERT_EQ(ok.status, 200) << ok.body;
  ASSERT_TRUE(ok.stream);
  EXPECT_EQ(Drain(*ok.stream), "hello\n");
  EXPECT_EQ(l.log->asked.container, "app");
  EXPECT_TRUE(l.log->asked.follow);
  EXPECT_EQ(l.log->asked.tail_lines, 10);
  EXPECT_TRUE(l.log->asked.timestamps);
  EXPECT_EQ(l.log->asked.Target(),
            "/api/v1/namespaces/prod/pods/web-1/log?container=app&follow=true&tailLines=10&timestamps=true");

  HttpResponse other = l.Get("/v1/logs/prod/web-1/sidecar", "", key);
  EXPECT_EQ(other.status, 403);
  EXPECT_FALSE(other.stream);
}

TEST(LogsEndpoint, AFilterRuleIsAppliedByKeyward) {
  Logs l;
  std::string key = l.Add("errors", Scope::kFilter, "ERROR");
  l.log->Feed("INFO started\nERROR disk full\nINFO ok\nERROR again\n");
  l.log->End();
  HttpResponse r = l.Get("/v1/logs/prod/web-1/app", "", key);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Drain(*r.stream), "ERROR disk full\nERROR again\n");
}

TEST(LogsEndpoint, AFilterChangedWhileStreamingAppliesToTheFollowingLines) {
  Logs l;
  std::string key = l.Add("errors", Scope::kFilter, "ERROR");
  HttpResponse r = l.Get("/v1/logs/prod/web-1/app", "follow=true", key);
  ASSERT_EQ(r.status, 200) << r.body;
  l.log->Feed("ERROR a\nINFO b\n");
  EXPECT_EQ(TakeSome(*r.stream), "ERROR a\n");
  l.SetRules("errors", Scope::kFilter, "INFO");  // kubectl edit: a new filter
  l.log->Feed("ERROR c\nINFO d\n");
  EXPECT_EQ(TakeSome(*r.stream), "INFO d\n");
  l.SetRules("errors", Scope::kContainer);  // no filter at all
  l.log->Feed("ERROR e\n");
  l.log->End();
  EXPECT_EQ(Drain(*r.stream), "ERROR e\n");
}

TEST(LogsEndpoint, AScopeNarrowedWhileStreamingEndsItBeforeAnotherLine) {
  Logs l;
  std::string key = l.Add("app", Scope::kContainer);
  HttpResponse r = l.Get("/v1/logs/prod/web-1/app", "follow=true", key);
  ASSERT_EQ(r.status, 200) << r.body;
  l.log->Feed("before\n");
  EXPECT_EQ(TakeSome(*r.stream), "before\n");
  l.SetRules("app", Scope::kContainer, "", {}, "sidecar");  // no longer covers "app"
  l.log->Feed("after\n");
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Drain(*r.stream), "");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

TEST(LogsEndpoint, ADisabledKeysOpenStreamEndsBeforeAnotherLine) {
  Logs l;
  std::string key = l.Add("ns", Scope::kNamespace);
  HttpResponse r = l.Get("/v1/logs/prod/web-1/app", "follow=true", key);
  ASSERT_EQ(r.status, 200) << r.body;
  l.SetRules("ns", Scope::kNamespace, "", {}, "app", /*disabled=*/true);
  l.log->Feed("after\n");
  EXPECT_EQ(Drain(*r.stream), "");
}

TEST(LogsEndpoint, BadRequestsSayWhatIsWrong) {
  Logs l;
  std::string key = l.Add("ns", Scope::kNamespace);
  EXPECT_EQ(l.Get("/v1/logs/prod/web-1", "", key).status, 404);
  EXPECT_EQ(l.Get("/v1/logs/prod/web-1/app/extra", "", key).status, 404);
  EXPECT_EQ(l.Get("/v1/logs//web-1/app", "", key).status, 404);
  HttpResponse bad = l.Get("/v1/logs/prod/web-1/app", "sinceSeconds=-5", key);
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("sinceSeconds"), std::string::npos) << bad.body;
  EXPECT_EQ(l.Get("/v1/logs/prod/web-1/app", "tailLines=x", key).status, 400);
  EXPECT_EQ(l.Get("/v1/logs/prod/web-1/app", "follow=maybe", key).status, 400);
  EXPECT_EQ(l.Get("/v1/logs/prod/web-1/app", "previous=true", key).status, 400);
  EXPECT_EQ(l.Get("/v1/logs/prod/web-1/app", "", "").status, 401);
  HttpResponse unknown = l.Get("/v1/logs/prod/web-1/app", "", MintKey());
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(unknown.body.find("kw_"), std::string::npos);
}

TEST(LogsEndpoint, OneRequestOfQuotaPerStreamAnd429WhenUsedUp) {
  Logs l;
  std::string key = l.Add("limited", Scope::kNamespace, "", {std::nullopt, 1, std::nullopt});
  l.log->End();
  HttpResponse first = l.Get("/v1/logs/prod/web-1/app", "", key);
  ASSERT_EQ(first.status, 200);
  Drain(*first.stream);
  HttpResponse second = l.Get("/v1/logs/prod/web-1/app", "", key);
  EXPECT_EQ(second.status, 429);
}

TEST(LogsEndpoint, StreamsAreCappedAndTheSlotIsFreedWithTheStream) {
  Logs l;
  std::string key = l.Add("ns", Scope::kNamespace);
  HttpResponse a = l.Get("/v1/logs/prod/web-1/app", "follow=true", key);
  HttpResponse b = l.Get("/v1/logs/prod/web-1/app", "follow=true", key);
  ASSERT_EQ(a.status, 200);
  ASSERT_EQ(b.status, 200);
  EXPECT_EQ(l.Get("/v1/logs/prod/web-1/app", "follow=true", key).status, 503);
  a.stream.reset();  // the client left: the listener drops its stream
  EXPECT_EQ(l.open.load(), 1);
  EXPECT_EQ(l.Get("/v1/logs/prod/web-1/app", "follow=true", key).status, 200);
}

TEST(LogsEndpoint, OneKeyCannotTakeEveryStream) {
  Logs l;
  KeyStreamCounts per_key;
  l.env.max_streams = 10;
  l.env.per_key_streams = &per_key;
  l.env.max_streams_per_key = 2;
  std::string greedy = l.Add("greedy", Scope::kNamespace);
  std::string other = l.Add("other", Scope::kNamespace);
  HttpResponse a = l.Get("/v1/logs/prod/web-1/app", "follow=true", greedy);
  HttpResponse b = l.Get("/v1/logs/prod/web-1/app", "follow=true", greedy);
  ASSERT_EQ(a.status, 200);
  ASSERT_EQ(b.status, 200);
  HttpResponse refused = l.Get("/v1/logs/prod/web-1/app", "follow=true", greedy);
  EXPECT_EQ(refused.status, 429);
  EXPECT_NE(refused.body.find("--max-log-streams-per-key"), std::string::npos) << refused.body;
  EXPECT_EQ(l.Get("/v1/logs/prod/web-1/app", "follow=true", other).status, 200);
  EXPECT_EQ(per_key.Count("team-a/greedy"), 2);
  a.stream.reset();
  EXPECT_EQ(per_key.Count("team-a/greedy"), 1);
  EXPECT_EQ(l.Get("/v1/logs/prod/web-1/app", "follow=true", greedy).status, 200);
}

TEST(LogsEndpoint, TheApiServersRefusalPassesThroughWithoutTheStream) {
  Logs l;
  std::string key = l.Add("ns", Scope::kNamespace);
  l.log->open = {400, "container sidecar is not valid for pod web-1"};
  HttpResponse r = l.Get("/v1/logs/prod/web-1/sidecar", "", key);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("not valid"), std::string::npos);
  l.log->open = {0, "connection refused"};
  EXPECT_EQ(l.Get("/v1/logs/prod/web-1/app", "", key).status, 503);
  EXPECT_EQ(l.open.load(), 0);
}

TEST(LogsEndpoint, ADeletedKeysOpenStreamEnds) {
  Logs l;
  std::string key = l.Add("ns", Scope::kNamespace);
  HttpResponse r = l.Get("/v1/logs/prod/web-1/app", "follow=true", key);
  ASSERT_EQ(r.status, 200);
  l.index.RemoveApiKey({"team-a", "ns"});
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Drain(*r.stream), "");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

}  // namespace
}  // namespace keyward
