#include "keys/key_policy.h"

#include <gtest/gtest.h>

namespace keyward {
namespace {


AccessTarget Pod(std::string ns, std::string pod, std::string container = "app") {
  AccessTarget t;
  t.namespace_name = std::move(ns);
  t.pod = std::move(pod);
  t.container = std::move(container);
  return t;
}

KeyPolicy With(AccessRule rule) {
  KeyPolicy p;
  p.rules = {std::move(rule)};
  return p;
}

TEST(OptionalExpiry, ReadsLikeAnOptionalInHalfTheBytes) {
  EXPECT_EQ(sizeof(OptionalExpiry), sizeof(TimePoint));
  OptionalExpiry none, from_nullopt(std::nullopt), empty(std::optional<TimePoint>{});
  EXPECT_FALSE(none || from_nullopt || empty);
  EXPECT_FALSE(none.as_optional());
  const TimePoint t = TimePoint() + std::chrono::hours(1);
  OptionalExpiry at(std::optional<TimePoint>{t});
  ASSERT_TRUE(at.has_value());
  EXPECT_EQ(*at, t);
  EXPECT_EQ(at.as_optional(), t);
  EXPECT_TRUE(OptionalExpiry(TimePoint::min()).has_value());  // the earliest expiry, not none
}

TEST(Decide, ClusterScopeAllowsEverythingForItsActions) {
  AccessRule r;
  r.scope = Scope::kCluster;
  r.namespaces = {"ignored"};
  Decision d = Decide(With(r), Pod("kube-system", "x"));
  EXPECT_TRUE(d.allowed) << d.reason;
  EXPECT_EQ(d.scope, Scope::kCluster);
  AccessTarget metrics = Pod("a", "b");
  metrics.action = "metrics";
  EXPECT_FALSE(Decide(With(r), metrics).allowed);
}

TEST(Decide, NamespaceScopeUsesAnchoredGlobs) {
  AccessRule r;
  r.scope = Scope::kNamespace;
  r.namespaces = {"prod", "team-*"};
  EXPECT_TRUE(Decide(With(r), Pod("prod", "web-1")).allowed);
  EXPECT_TRUE(Decide(With(r), Pod("team-a", "web-1")).allowed);
  Decision d = Decide(With(r), Pod("preprod", "web-1"));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, "namespace preprod not in scope");
}

TEST(Decide, ListsNarrowEvenAtNamespaceScope) {
  AccessRule r;
  r.scope = Scope::kNamespace;
  r.namespaces = {"prod"};
  r.pods = {"api-*"};
  EXPECT_TRUE(Decide(With(r), Pod("prod", "api-1")).allowed);
  EXPECT_FALSE(Decide(With(r), Pod("prod", "web-1")).allowed);
}

TEST(Decide, SetScopeMatchesResolvedOwnerOnly) {
  AccessRule r;
  r.scope = Scope::kSet;
  r.namespaces = {"prod"};
  r.set_type = SetType::kStateful;
  r.sets = {"db"};
  AccessTarget t = Pod("prod", "db-0");
  EXPECT_FALSE(Decide(With(r), t).allowed);  // owner unknown
  t.set_type = SetType::kStateful;
  t.set_name = "db";
  EXPECT_TRUE(Decide(With(r), t).allowed);
  t.set_type = SetType::kReplica;
  EXPECT_FALSE(Decide(With(r), t).allowed);
  t.set_type = SetType::kStateful;
  t.set_name = "db-backup";
  EXPECT_FALSE(Decide(With(r), t).allowed);
}

TEST(Decide, DeploymentSetTypeMatchesViaReplicaSetOwner) {
  AccessRule r;
  r.scope = Scope::kSet;
  r.namespaces = {"prod"};
  r.set_type = SetType::kDeployment;
  r.sets = {"web"};
  AccessTarget t = Pod("prod", "web-7d9f-abcde");
  t.set_type = SetType::kReplica;
  t.set_name = "web-7d9f";
  EXPECT_FALSE(Decide(With(r), t).allowed);
  t.deployment = "web";
  EXPECT_TRUE(Decide(With(r), t).allowed);
}

TEST(Decide, PodAndContainerScopes) {
  AccessRule pod;
  pod.scope = Scope::kPod;
  pod.namespaces = {"prod"};
  pod.pods = {"api-*"};
  EXPECT_TRUE(Decide(With(pod), Pod("prod", "api-1")).allowed);
  EXPECT_FALSE(Decide(With(pod), Pod("prod", "web-1")).allowed);
  EXPECT_FALSE(Decide(With(pod), Pod("prod", "")).allowed);

  AccessRule c;
  c.scope = Scope::kContainer;
  c.namespaces = {"prod"};
  c.containers = {"nginx"};
  EXPECT_TRUE(Decide(With(c), Pod("prod", "any", "nginx")).allowed);
  Decision d = Decide(With(c), Pod("prod", "any", "app"));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, "container app not in scope");
  EXPECT_FALSE(Decide(With(c), Pod("prod", "any", "")).allowed);

  c.pods = {"edge-*"};  // a list narrows the rule
  EXPECT_FALSE(Decide(With(c), Pod("prod", "any", "nginx")).allowed);
  EXPECT_TRUE(Decide(With(c), Pod("prod", "edge-1", "nginx")).allowed);
}

TEST(Decide, FilterScopeCarriesTheFilter) {
  AccessRule r;
  r.scope = Scope::kFilter;
  r.namespaces = {"prod"};
  r.containers = {"app"};
  r.filter = "level=error";
  Decision d = Decide(With(r), Pod("prod", "p", "app"));
  ASSERT_TRUE(d.allowed);
  EXPECT_EQ(d.filter, "level=error");
  EXPECT_EQ(d.scope, Scope::kFilter);
}

TEST(Decide, RulesAreOredAndActionsChecked) {
  KeyPolicy p;
  AccessRule logs;
  logs.scope = Scope::kNamespace;
  logs.namespaces = {"a"};
  AccessRule metrics;
  metrics.scope = Scope::kNamespace;
  metrics.namespaces = {"b"};
  metrics.actions = {"metrics", "events"};
  p.rules = {logs, metrics};
  AccessTarget t = Pod("b", "x");
  t.action = "metrics";
  Decision d = Decide(p, t);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.rule_index, 1);
  t.action = "log";
  EXPECT_FALSE(Decide(p, t).allowed);
  metrics.actions = {"*"};
  p.rules = {logs, metrics};
  EXPECT_TRUE(Decide(p, t).allowed);
}

TEST(Decide, NoRulesDenies) {
  // Disabled and expired keys never reach Decide: the index lookup decides
  // them (KeyIndex.DisabledAndExpiredAtLookup, CheckService tables).
  EXPECT_FALSE(Decide(KeyPolicy{}, Pod("a", "b")).allowed);
}

}  // namespace
}  // namespace keyward
