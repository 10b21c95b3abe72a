// Templates, requests and usage periods: parsing, checks, lifetimes, cost.
#include "api/apikey_template.h"

#include <gtest/gtest.h>

#include "api/apikey_policy.h"
#include "api/apikey_request.h"
#include "api/usage_period.h"
#include "api/validation.h"

namespace keyward {
namespace {

using web::json::value;

value Template(const std::string& spec, const std::string& kind = "ApiKeyTemplate") {
  return value::parse(R"({"apiVersion":"keyward.io/v1alpha1","kind":")" + kind +
                      R"(","metadata":{"name":"logs-reader","namespace":"team-a"},"spec":)" + spec + "}");
}

const char* kGood = R"({"description":"read logs","access":[{"scope":"namespace","namespaces":["team-a"]}],
  "limits":{"perDay":100},"lifetimes":{"allowed":["7d","30d","1y","never"],"default":"30d"},
  "fields":[{"name":"endpoint","description":"where to call","value":"https://logs"}],
  "approval":"Automatic","price":{"perRequest":"0.002","currency":"EUR"}})";

bool HasError(const FieldErrors& errors, const std::string& path) {
  for (const auto& e : errors) {
    if (e.path == path) return true;
  }
  return false;
}

TEST(ApiKeyTemplate, ParsesEveryField) {
  FieldErrors errors;
  ApiKeyTemplate t = ParseApiKeyTemplate(Template(kGood), &errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(t.Ref().name, "logs-reader");
  EXPECT_EQ(t.spec.access.size(), 1u);
  EXPECT_EQ(*t.spec.limits.per_day, 100);
  EXPECT_EQ(t.spec.default_lifetime, "30d");
  ASSERT_EQ(t.spec.fields.size(), 1u);
  EXPECT_EQ(t.spec.fields[0].value, "https://logs");
  EXPECT_TRUE(t.spec.automatic_approval);
  EXPECT_EQ(t.spec.price->currency, "EUR");
  EXPECT_TRUE(CheckApiKeyTemplateObject(Template(kGood)).empty());
  EXPECT_TRUE(CheckApiKeyTemplateObject(Template(kGood, "ClusterApiKeyTemplate")).empty());
}

TEST(ApiKeyTemplate, EachBadFieldIsNamed) {
  FieldErrors errors = CheckApiKeyTemplateObject(Template(
      R"({"description":"x","access":[{"scope":"galaxy"}],"lifetimes":{"allowed":["5x","30d"],"default":"90d"},
          "fields":[{"name":"key","value":"v"}],"approval":"Sometimes","price":{"perRequest":"1.2.3","currency":"eur"}})"));
  for (const char* path : {"spec.access[0].scope", "spec.lifetimes.allowed[0]", "spec.lifetimes.default",
                           "spec.fields[0].name", "spec.approval", "spec.price.perRequest", "spec.price.currency"}) {
    EXPECT_TRUE(HasError(errors, path)) << path;
  }
  EXPECT_TRUE(HasError(CheckApiKeyTemplateObject(Template(R"({"description":"x","access":[]})")),
                       "spec.lifetimes.allowed"));
}

TEST(ApiKeyTemplate, LifetimesAndTheirTtl) {
  EXPECT_EQ(*LifetimeTtl("1y"), "365d");
  EXPECT_EQ(*LifetimeTtl("2w"), "14d");
  EXPECT_EQ(*LifetimeTtl("30d"), "30d");
  EXPECT_FALSE(LifetimeTtl("never"));
  EXPECT_FALSE(LifetimeTtl("0d"));
  EXPECT_FALSE(LifetimeTtl("30"));
  EXPECT_TRUE(IsLifetime("never"));
  FieldErrors errors;
  ApiKeyTemplate t = ParseApiKeyTemplate(Template(kGood), &errors);
  EXPECT_EQ(*ChosenLifetime(t.spec, ""), "30d");
  EXPECT_EQ(*ChosenLifetime(t.spec, "never"), "never");
  EXPECT_FALSE(ChosenLifetime(t.spec, "90d"));
  t.spec.default_lifetime.clear();
  EXPECT_EQ(*ChosenLifetime(t.spec, ""), "7d");  // the first allowed
}

TEST(ApiKeyTemplate, CostIsExactDecimal) {
  EXPECT_EQ(*CostOf(3, "0.002"), "0.006");
  EXPECT_EQ(*CostOf(1000, "0.002"), "2.00");
  EXPECT_EQ(*CostOf(0, "5"), "0.00");
  EXPECT_EQ(*CostOf(7, "1.5"), "10.50");
  EXPECT_EQ(*CostOf(1000000000000, "999999999999.999999999"), "999999999999999999999000.00");
  EXPECT_FALSE(CostOf(1, "1."));
  EXPECT_FALSE(CostOf(1, "-1"));
  EXPECT_FALSE(CostOf(1, "0.0000000001"));
}

TEST(ApiKeyTemplate, KeyUsesTemplateRulesInsteadOfItsOwn) {
  FieldErrors errors;
  ApiKey key = ParseApiKey(value::parse(R"({"apiVersion":"keyward.io/v1alpha1","kind":"ApiKey",
      "metadata":{"name":"k","namespace":"team-a"},
      "spec":{"description":"d","templateRef":{"name":"logs-reader"}}})"), &errors);
  ASSERT_TRUE(errors.empty());
  EXPECT_TRUE(ValidateApiKey(key, Clock::now(), true).empty());
  ApiKeyTemplate t = ParseApiKeyTemplate(Template(kGood), &errors);
  auto policy = PolicyOf(key, Clock::now(), &t.spec);
  EXPECT_EQ(*policy->limits.per_day, 100);
  EXPECT_EQ(*policy->template_name, "logs-reader");
  EXPECT_EQ(policy->template_name, Interned("logs-reader"));  // one copy for every key
  AccessTarget target;
  target.namespace_name = "team-a";
  EXPECT_TRUE(Decide(policy->policy, target).allowed);
  target.namespace_name = "team-b";
  EXPECT_FALSE(Decide(policy->policy, target).allowed);

  key.spec.access.push_back({});
  key.spec.has_limits = true;
  FieldErrors both = ValidateApiKey(key, Clock::now(), true);
  EXPECT_TRUE(HasError(both, "spec"));
  EXPECT_TRUE(HasError(both, "spec.limits"));
}

TEST(ApiKeyRequest, ParsesSpecAndStatus) {
  FieldErrors errors;
  ApiKeyRequest r = ParseApiKeyRequest(value::parse(R"({"metadata":{"name":"r","namespace":"team-a"},
      "spec":{"templateRef":{"kind":"ClusterApiKeyTemplate","name":"t"},"lifetime":"30d","reason":"grafana"},
      "status":{"requestedBy":"bob","conditions":[{"type":"Approved","status":"True"}]}})"), &errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_TRUE(r.template_ref.cluster());
  EXPECT_EQ(r.lifetime, "30d");
  EXPECT_TRUE(TrueCondition(r.status.conditions, kApproved));
  EXPECT_FALSE(TrueCondition(r.status.conditions, kDenied));
  ParseApiKeyRequest(value::parse(R"({"metadata":{"name":"r"},"spec":{"templateRef":{"kind":"Other"}}})"), &errors);
  EXPECT_TRUE(HasError(errors, "spec.templateRef.kind"));
  EXPECT_TRUE(HasError(errors, "spec.templateRef.name"));
}

TEST(UsagePeriod, WholeMonthsFromMonthlyPartialFromDaily) {
  Usage u;
  u.monthly = {{"2026-11", 40}, {"2026-10", 500}};
  u.daily = {{"2026-11-02", 3}, {"2026-11-01", 2}, {"2026-10-31", 7}};
  EXPECT_EQ(RequestsBetween(u, "2026-11-01", "2026-11-30").requests, 40);
  EXPECT_EQ(RequestsBetween(u, "2026-11-01", "2026-11-01").requests, 2);
  EXPECT_EQ(RequestsBetween(u, "2026-10-31", "2026-11-02").requests, 12);
  EXPECT_EQ(RequestsBetween(u, "2026-10-01", "2026-11-30").requests, 540);
  EXPECT_EQ(RequestsBetween(u, "2026-10-15", "2026-11-30").requests, 47);
  EXPECT_TRUE(RequestsBetween(u, "2026-10-15", "2026-11-30").complete);
  EXPECT_EQ(RequestsBetween(u, "2025-12-01", "2026-12-31").requests, 540);  // across a year
  EXPECT_EQ(RequestsBetween(u, "2026-11-30", "2026-11-01").requests, 0);
  EXPECT_FALSE(IsDate("2026-02-29"));
  EXPECT_TRUE(IsDate("2028-02-29"));
}

TEST(UsagePeriod, PartialMonthOlderThanDailyHistoryIsMarked) {
  Usage u;
  for (int d = 31; d >= 1; --d) u.daily.push_back({"2026-12-" + std::string(d < 10 ? "0" : "") + std::to_string(d), 1});
  u.monthly = {{"2026-12", 31}, {"2026-11", 100}};
  EXPECT_TRUE(RequestsBetween(u, "2026-12-01", "2026-12-10").complete);
  PeriodSum s = RequestsBetween(u, "2026-11-20", "2026-12-10");
  EXPECT_FALSE(s.complete);
  EXPECT_EQ(s.requests, 10);
}

}  // namespace
}  // namespace keyward
