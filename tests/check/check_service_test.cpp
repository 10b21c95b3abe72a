#include "check/check_service.h"

#include <gtest/gtest.h>

#include <map>

#include "check/fake_owners.h"

namespace keyward {
namespace {

using namespace std::chrono_literals;
const TimePoint kNow = *ParseRfc3339("2026-11-22T12:00:00Z");

struct World {
  KeyIndex index{"pepper-for-tests-0123456789abcdef"};
  FakeOwners owners;
  QuotaBook quotas;
  CheckService service{index, owners, quotas};

  World() {
    owners.pods["prod/web-1"] = {SetType::kReplica, "web-7d9f", "web"};
    owners.pods["prod/db-0"] = {SetType::kStateful, "db", ""};
    owners.pods["staging/web-1"] = {SetType::kReplica, "web-1111", "web"};
  }
  // Adds an ApiKey with one rule and returns its key.
  std::string Add(const std::string& name, AccessRule rule, Limits limits = {},
                  bool disabled = false, std::optional<TimePoint> expires = std::nullopt) {
    auto p = std::make_shared<IndexedPolicy>();
    p->ref = {"team-a", name};
    p->policy.rules = {rule};
    p->policy.disabled = disabled;
    p->policy.expires_at = expires;
    p->limits = limits;
    index.SetPolicy(p);
    std::string key = MintKey();
    index.AddKey(p->ref, index.hasher().Hash(key));
    return key;
  }
  CheckDecision Check(const std::string& key, const std::string& ns, const std::string& pod,
                      const std::string& container = "app", TimePoint now = kNow) {
    AccessTarget t;
    t.namespace_name = ns;
    t.pod = pod;
    t.container = container;
    return service.Check(key, t, now);
  }
};

AccessRule Rule(Scope scope) {
  AccessRule r;
  r.scope = scope;
  r.namespaces = {"prod"};
  return r;
}

std::string Typo(std::string key) {
  key[10] = key[10] == 'a' ? 'b' : 'a';
  return key;
}

// One row per reason: what the key and target are, and what must come out.
TEST(CheckService, EveryReasonFromItsCause) {
  World w;
  AccessRule set = Rule(Scope::kSet);
  set.set_type = SetType::kDeployment;
  set.sets = {"web"};
  AccessRule filter = Rule(Scope::kFilter);
  filter.containers = {"app"};
  filter.filter = "level=error";
  const std::string ns_key = w.Add("ns", Rule(Scope::kNamespace));
  const std::string set_key = w.Add("set", set);
  const std::string filter_key = w.Add("filter", filter);
  const std::string disabled = w.Add("off", Rule(Scope::kNamespace), {}, true);
  const std::string expired = w.Add("old", Rule(Scope::kNamespace), {}, false, kNow - 1s);
  const std::string quota = w.Add("quota", Rule(Scope::kNamespace), {std::nullopt, 0, std::nullopt});
  const std::string unknown = MintKey();

  struct Row {
    const char* what;
    std::string key, ns, pod;
    bool allowed;
    CheckReason reason;
  } rows[] = {
      {"namespace scope, pod in it", ns_key, "prod", "web-1", true, CheckReason::kAllowed},
      {"namespace scope, no pod", ns_key, "prod", "", true, CheckReason::kAllowed},
      {"other namespace", ns_key, "staging", "web-1", false, CheckReason::kNotInScope},
      {"set via Deployment", set_key, "prod", "web-1", true, CheckReason::kAllowed},
      {"pod of another set", set_key, "prod", "db-0", false, CheckReason::kNotInScope},
      {"filter scope", filter_key, "prod", "web-1", true, CheckReason::kAllowed},
      {"typo in the key", Typo(ns_key), "prod", "web-1", false, CheckReason::kMalformedKey},
      {"not a key at all", "hunter2", "prod", "web-1", false, CheckReason::kMalformedKey},
      {"never minted", unknown, "prod", "web-1", false, CheckReason::kUnknownKey},
      {"disabled", disabled, "prod", "web-1", false, CheckReason::kDisabled},
      {"expired", expired, "prod", "web-1", false, CheckReason::kExpired},
      {"pod that does not exist", ns_key, "prod", "ghost", false, CheckReason::kPodNotFound},
      {"missing pod out of scope", ns_key, "staging", "ghost", false, CheckReason::kNotInScope},
      {"quota of zero", quota, "prod", "web-1", false, CheckReason::kQuotaExceeded},
  };
  for (const Row& row : rows) {
    CheckDecision d = w.Check(row.key, row.ns, row.pod);
    EXPECT_EQ(d.allowed, row.allowed) << row.what << ": " << d.message;
    EXPECT_EQ(d.reason, row.reason) << row.what << ": " << CheckReasonName(d.reason);
    EXPECT_EQ(d.message.find("kw_"), std::string::npos) << row.what;  // never the key
  }
}

TEST(CheckService, AllowedDecisionNamesKeyScopeAndFilter) {
  World w;
  AccessRule filter = Rule(Scope::kFilter);
  filter.containers = {"app"};
  filter.filter = "level=error";
  std::string key = w.Add("filter", filter);
  CheckDecision d = w.Check(key, "prod", "web-1");
  ASSERT_TRUE(d.allowed) << d.message;
  EXPECT_EQ(d.api_key, (ApiKeyRef{"team-a", "filter"}));
  EXPECT_EQ(d.scope, Scope::kFilter);
  EXPECT_EQ(d.filter, "level=error");
  EXPECT_FALSE(d.remaining_day);  // no limits: unlimited
}

// A client cannot claim a set: the owner comes from the cluster.
TEST(CheckService, ClientSuppliedSetIsIgnored) {
  World w;
  AccessRule set = Rule(Scope::kSet);
  set.set_type = SetType::kStateful;
  set.sets = {"db"};
  std::string key = w.Add("set", set);
  AccessTarget t;
  t.namespace_name = "prod";
  t.pod = "web-1";
  t.set_type = SetType::kStateful;  // a lie
  t.set_name = "db";
  EXPECT_FALSE(w.service.Check(key, t, kNow).allowed);
}

TEST(CheckService, OwnerLookupFailureIsUnavailableAndNamesTheKey) {
  World w;
  std::string key = w.Add("ns", Rule(Scope::kNamespace));
  w.owners.unavailable = true;
  CheckDecision d = w.Check(key, "prod", "web-1");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, CheckReason::kUnavailable);
  EXPECT_EQ(d.api_key, (ApiKeyRef{"team-a", "ns"}));
}

// Unusable keys cost no owner lookup (an unauthenticated caller cannot make
// keyward read the API).
TEST(CheckService, UnusableKeysNeverResolveOwners) {
  World w;
  w.Check(MintKey(), "prod", "web-1");
  w.Check("kw_short", "prod", "web-1");
  EXPECT_EQ(w.owners.calls, 0);
}

TEST(CheckService, RotatedOutKeyIsAcceptedInsideItsOverlapOnly) {
  World w;
  std::string current = w.Add("rot", Rule(Scope::kNamespace));
  std::string previous = MintKey();
  w.index.AddKey({"team-a", "rot"}, w.index.hasher().Hash(previous), kNow + 10min);
  EXPECT_TRUE(w.Check(previous, "prod", "web-1").allowed);
  EXPECT_TRUE(w.Check(current, "prod", "web-1", "app", kNow + 11min).allowed);
  CheckDecision after = w.Check(previous, "prod", "web-1", "app", kNow + 10min);
  EXPECT_FALSE(after.allowed);
  EXPECT_EQ(after.reason, CheckReason::kExpired);
}

TEST(CheckService, KeyPresentedUnderAnotherApiKeysNameIsUnknown) {
  World w;
  std::string key = w.Add("mine", Rule(Scope::kNamespace));
  ApiKeyRef right{"team-a", "mine"}, wrong{"team-a", "other"};
  EXPECT_TRUE(w.service.Check(key, AccessTarget{"prod", "", "", {}, "", "", "log"}, kNow, &right).allowed);
  CheckDecision d = w.service.Check(key, AccessTarget{"prod", "", "", {}, "", "", "log"}, kNow, &wrong);
  EXPECT_EQ(d.reason, CheckReason::kUnknownKey);
  EXPECT_FALSE(d.api_key);
}

TEST(CheckService, DeletedKeyIsUnknownAtOnce) {
  World w;
  std::string key = w.Add("gone", Rule(Scope::kNamespace));
  w.index.RemoveApiKey({"team-a", "gone"});
  EXPECT_EQ(w.Check(key, "prod", "web-1").reason, CheckReason::kUnknownKey);
}

TEST(CheckService, AReplicaBehindItsLeaderAnswersUnknownKeysUnavailableWithWhy) {
  World w;
  std::string key = w.Add("known", Rule(Scope::kNamespace));
  std::optional<std::string> gap = "this replica last synced with the leader 12 s ago (timed out)";
  w.service.SetVolatileGap([&] { return gap; });
  EXPECT_TRUE(w.Check(key, "prod", "web-1").allowed);  // permanent keys: as ever
  CheckDecision unknown = w.Check(MintKey(), "prod", "web-1");
  EXPECT_EQ(unknown.reason, CheckReason::kUnavailable);
  EXPECT_NE(unknown.message.find("12 s ago (timed out)"), std::string::npos) << unknown.message;
  EXPECT_EQ(w.Check("nope", "prod", "web-1").reason, CheckReason::kMalformedKey);  // still malformed
  gap.reset();  // synced again: unknown is unknown
  EXPECT_EQ(w.Check(MintKey(), "prod", "web-1").reason, CheckReason::kUnknownKey);
}

TEST(CheckService, QuotaIsConsumedOnlyByAllowedRequests) {
  World w;
  std::string key = w.Add("q", Rule(Scope::kNamespace), {5, 2, 100});
  EXPECT_FALSE(w.Check(key, "staging", "web-1").allowed);  // out of scope: not counted
  CheckDecision first = w.Check(key, "prod", "web-1");
  ASSERT_TRUE(first.allowed);
  EXPECT_EQ(first.remaining_second, 4);
  EXPECT_EQ(first.remaining_day, 1);
  EXPECT_EQ(first.remaining_month, 99);
  EXPECT_TRUE(w.Check(key, "prod", "web-1").allowed);
  CheckDecision over = w.Check(key, "prod", "web-1");
  EXPECT_EQ(over.reason, CheckReason::kQuotaExceeded);
  EXPECT_EQ(over.remaining_day, 0);
  EXPECT_EQ(over.retry_after, 12h);  // noon: the UTC day ends in 12 hours
}

}  // namespace
}  // namespace keyward
