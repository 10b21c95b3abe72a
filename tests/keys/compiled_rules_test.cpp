#include "keys/compiled_rules.h"

#include <gtest/gtest.h>

#include "keys/key_policy.h"

namespace keyward {
namespace {

AccessTarget Target(std::string ns, std::string pod, std::string container) {
  AccessTarget t;
  t.namespace_name = std::move(ns);
  t.pod = std::move(pod);
  t.container = std::move(container);
  return t;
}

TEST(CompiledRules, EmptyHasNoRulesAndDeniesEverything) {
  CompiledRules rules;
  EXPECT_TRUE(rules.empty());
  EXPECT_EQ(rules.data(), nullptr);
  KeyPolicy p;
  Decision d = Decide(p, Target("a", "b", "c"));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, "key has no access rules");
}

TEST(CompiledRules, OutlivesItsSourceAndKeepsLongStrings) {
  const std::string long_name = "team-" + std::string(200, 'x');
  const std::string filter = "level=error " + std::string(900, 'f');
  CompiledRules copy;
  {
    std::vector<AccessRule> source(1);
    source[0].scope = Scope::kFilter;
    source[0].namespaces = {long_name};
    source[0].containers = {"app"};
    source[0].filter = filter;
    CompiledRules built(source);
    copy = built;  // copies share the block; the source goes away here
  }
  ASSERT_EQ(copy.size(), 1u);
  EXPECT_EQ(copy.scope(0), Scope::kFilter);
  EXPECT_EQ(copy.filter(0), filter);
  std::string why;
  EXPECT_TRUE(copy.Allows(0, Target(long_name, "p", "app"), &why)) << why;
  EXPECT_FALSE(copy.Allows(0, Target(long_name + "y", "p", "app"), &why));
  EXPECT_EQ(why, "namespace " + long_name + "y not in scope");
}

TEST(CompiledRules, EqualRulesCompiledApartShareOneBlock) {
  AccessRule a;
  a.scope = Scope::kNamespace;
  a.namespaces = {"production", "staging"};
  AccessRule b = a;
  b.namespaces = {"production"};
  CompiledRules first({a}), second({a}), other({b});
  EXPECT_EQ(first.data(), second.data());  // one block for both keys
  EXPECT_NE(first.data(), other.data());
  std::string why;
  EXPECT_TRUE(other.Allows(0, Target("production", "p", "c"), &why)) << why;
  EXPECT_FALSE(other.Allows(0, Target("staging", "p", "c"), &why));
  EXPECT_TRUE(second.Allows(0, Target("staging", "p", "c"), &why));
  // Thousands of distinct rules come and go; equal ones still meet.
  for (int i = 0; i < 5000; ++i) {
    AccessRule r = a;
    r.namespaces = {"ns-" + std::to_string(i)};
    CompiledRules gone({r});
    EXPECT_TRUE(gone.Allows(0, Target("ns-" + std::to_string(i), "p", "c"), &why)) << i;
  }
  CompiledRules third({a});
  EXPECT_EQ(third.data(), first.data());
}

TEST(CompiledRules, EveryListOfEveryRuleIsItsOwn) {
  // 64 rules of 64 patterns each: rule i grants namespace ns-i-j, pod pod-i,
  // container c-i. A mix-up of offsets between rules or lists shows here.
  std::vector<AccessRule> source(64);
  for (int i = 0; i < 64; ++i) {
    AccessRule& r = source[i];
    r.scope = Scope::kContainer;
    for (int j = 0; j < 64; ++j) r.namespaces.push_back("ns-" + std::to_string(i) + "-" + std::to_string(j));
    r.pods = {"pod-" + std::to_string(i)};
    r.containers = {"c-" + std::to_string(i)};
    r.actions = {"log", "act-" + std::to_string(i)};
  }
  KeyPolicy p;
  p.rules = source;
  ASSERT_EQ(p.rules.size(), 64u);
  for (int i = 0; i < 64; ++i) {
    std::string n = std::to_string(i);
    AccessTarget t = Target("ns-" + n + "-63", "pod-" + n, "c-" + n);
    t.action = "act-" + n;
    Decision d = Decide(p, t);
    EXPECT_TRUE(d.allowed) << i << ": " << d.reason;
    EXPECT_EQ(d.rule_index, i);
    t.container = "c-" + std::to_string((i + 1) % 64);
    EXPECT_FALSE(Decide(p, t).allowed) << i;
  }
}

}  // namespace
}  // namespace keyward
