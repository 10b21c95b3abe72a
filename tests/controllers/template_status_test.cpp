// Template status (Ready, observedGeneration, keysIssued) and the index of
// which ApiKeys use which template.
#include "controllers/template_status.h"

#include <gtest/gtest.h>

#include "controllers/template_users.h"
#include "kube/json_fields.h"

namespace keyward {
namespace {

using web::json::value;

value Template(const std::string& lifetime_default = "30d", std::int64_t generation = 3) {
  return value::parse(R"({"apiVersion":"keyward.io/v1alpha1","kind":"ApiKeyTemplate",
    "metadata":{"name":"logs-reader","namespace":"team-a","uid":"u1","generation":)" +
                      std::to_string(generation) + R"(},
    "spec":{"description":"read team-a logs","access":[{"scope":"namespace","namespaces":["team-a"]}],
      "lifetimes":{"allowed":["7d","30d"],"default":")" + lifetime_default + R"("}}})");
}

const TimePoint kNow = *ParseRfc3339("2026-12-07T12:00:00Z");

TEST(TemplateUsers, CountsFollowEachKeysCurrentTemplate) {
  TemplateUsers users;
  const std::string a = TemplateId({kTemplateKind, "a"}, "team-a");
  const std::string b = TemplateId({kClusterTemplateKind, "b"}, "team-a");
  EXPECT_EQ(a, "ApiKeyTemplate/team-a/a");
  EXPECT_EQ(b, "ClusterApiKeyTemplate/b");
  EXPECT_EQ(users.Set("team-a/k1", a), std::vector<std::string>{a});
  EXPECT_TRUE(users.Set("team-a/k1", a).empty()) << "the same template again changes no count";
  users.Set("team-a/k2", a);
  EXPECT_EQ(users.CountOf(a), 2u);
  // k1 moves to b: both counts change.
  EXPECT_EQ(users.Set("team-a/k1", b), (std::vector<std::string>{a, b}));
  EXPECT_EQ(users.CountOf(a), 1u);
  EXPECT_EQ(users.UsersOf(b), std::vector<std::string>{"team-a/k1"});
  // Deleted (or no template any more).
  EXPECT_EQ(users.Set("team-a/k1", ""), std::vector<std::string>{b});
  EXPECT_EQ(users.CountOf(b), 0u);
  EXPECT_TRUE(users.UsersOf(b).empty());
  EXPECT_TRUE(users.Set("team-a/never-seen", "").empty());
}

TEST(TemplateStatus, ValidTemplateIsReadyWithItsGenerationAndKeys) {
  value tpl = Template();
  TemplateStatus s = TemplateStatusOf(tpl, 4);
  EXPECT_TRUE(s.valid);
  EXPECT_EQ(s.observed_generation, 3);
  auto patch = TemplateStatusPatch(tpl, s, kNow);
  ASSERT_TRUE(patch);
  EXPECT_EQ(JsonInt(*patch, {"status", "keysIssued"}).value_or(-1), 4);
  EXPECT_EQ(JsonInt(*patch, {"status", "observedGeneration"}).value_or(-1), 3);
  const value& ready = JsonArray(*patch, {"status", "conditions"}).at(0);
  EXPECT_EQ(JsonStringOr(ready, {"status"}), "True");
  EXPECT_EQ(JsonStringOr(ready, {"reason"}), "Valid");
  EXPECT_EQ(JsonStringOr(ready, {"lastTransitionTime"}), "2026-12-07T12:00:00Z");
  // Written: the same status again is no write.
  tpl["status"] = patch->at("status");
  EXPECT_FALSE(TemplateStatusPatch(tpl, s, kNow + std::chrono::hours(1)));
  // One more key: a write, and the condition keeps its transition time.
  TemplateStatus more = TemplateStatusOf(tpl, 5);
  auto again = TemplateStatusPatch(tpl, more, kNow + std::chrono::hours(1));
  ASSERT_TRUE(again);
  EXPECT_EQ(JsonStringOr(JsonArray(*again, {"status", "conditions"}).at(0), {"lastTransitionTime"}),
            "2026-12-07T12:00:00Z");
}

TEST(TemplateStatus, InvalidTemplateSaysWhichFieldAndWhy) {
  value tpl = Template("2y");  // not one of lifetimes.allowed
  TemplateStatus s = TemplateStatusOf(tpl, 0);
  EXPECT_FALSE(s.valid);
  EXPECT_NE(s.message.find("spec.lifetimes.default"), std::string::npos) << s.message;
  auto patch = TemplateStatusPatch(tpl, s, kNow);
  ASSERT_TRUE(patch);
  const value& ready = JsonArray(*patch, {"status", "conditions"}).at(0);
  EXPECT_EQ(JsonStringOr(ready, {"status"}), "False");
  EXPECT_EQ(JsonStringOr(ready, {"reason"}), "Invalid");
  // Fixed at generation 4: Ready flips and the transition time moves.
  tpl["status"] = patch->at("status");
  value fixed = Template("30d", 4);
  fixed["status"] = tpl["status"];
  auto flipped = TemplateStatusPatch(fixed, TemplateStatusOf(fixed, 0), kNow + std::chrono::minutes(5));
  ASSERT_TRUE(flipped);
  const value& now_ready = JsonArray(*flipped, {"status", "conditions"}).at(0);
  EXPECT_EQ(JsonStringOr(now_ready, {"status"}), "True");
  EXPECT_EQ(JsonStringOr(now_ready, {"lastTransitionTime"}), "2026-12-07T12:05:00Z");
  EXPECT_EQ(JsonInt(now_ready, {"observedGeneration"}).value_or(0), 4);
}

}  // namespace
}  // namespace keyward
