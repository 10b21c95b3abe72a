#include "server/forward_auth_path.h"

#include <gtest/gtest.h>

namespace keyward {
namespace {

TEST(ForwardAuthPath, TakesTheTargetFromTheUriSegments) {
  auto p = ForwardAuthPath::Parse("/logs/{namespace}/{pod}/{container}");
  ASSERT_TRUE(p.ok()) << p.error();
  auto t = p->Match("/logs/prod/web-1/app?follow=true");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->namespace_name, "prod");
  EXPECT_EQ(t->pod, "web-1");
  EXPECT_EQ(t->container, "app");
  EXPECT_EQ(t->action, "log");
  auto with_action = ForwardAuthPath::Parse("/{action}/{namespace}");
  ASSERT_TRUE(with_action.ok());
  EXPECT_EQ(with_action->Match("/metrics/prod")->action, "metrics");
}

TEST(ForwardAuthPath, AnythingElseDoesNotMatch) {
  auto p = ForwardAuthPath::Parse("/logs/{namespace}/{pod}/{container}");
  ASSERT_TRUE(p.ok());
  for (const char* uri : {"/logs/prod/web-1", "/logs/prod/web-1/app/extra", "/other/prod/web-1/app",
                          "/logs/prod//app", "logs/prod/web-1/app", "", "/logs/prod/web-1/app/"}) {
    EXPECT_FALSE(p->Match(uri)) << uri;
  }
}

TEST(ForwardAuthPath, BadTemplatesAreRefusedWithAReason) {
  const std::pair<const char*, const char*> cases[] = {
      {"logs/{namespace}", "must start with '/'"},
      {"/logs/{pod}", "needs {namespace}"},
      {"/logs/{namespace}/{namespace}", "appears twice"},
      {"/logs/ns-{namespace}", "not a whole segment"},
      {"/logs/{name}", "not a whole segment"},
      {"/logs//{namespace}", "empty segment"},
  };
  for (const auto& [pattern, why] : cases) {
    auto p = ForwardAuthPath::Parse(pattern);
    ASSERT_FALSE(p.ok()) << pattern;
    EXPECT_NE(p.error().find(why), std::string::npos) << p.error();
  }
}

}  // namespace
}  // namespace keyward
