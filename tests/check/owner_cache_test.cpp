#include "check/owner_cache.h"

#include <gtest/gtest.h>

#include <thread>

#include "kube/fake_kube_client.h"

namespace keyward {
namespace {

using web::json::value;
using namespace std::chrono_literals;

value Meta(const std::string& ns, const std::string& name, const std::string& kind = "",
           const std::string& owner = "") {
  value v;
  v["metadata"]["namespace"] = value::string(ns);
  v["metadata"]["name"] = value::string(name);
  if (!kind.empty()) {
    v["metadata"]["ownerReferences"][0]["kind"] = value::string(kind);
    v["metadata"]["ownerReferences"][0]["name"] = value::string(owner);
    v["metadata"]["ownerReferences"][0]["controller"] = value::boolean(true);
  }
  return v;
}

TEST(OwnerCache, ResolvesFromTheWatchCacheWithNoApiCallPerCheck) {
  FakeKubeClient kube;
  kube.Put({"v1", "pods", "prod", "web-1", ""}, Meta("prod", "web-1", "ReplicaSet", "web-7d9f"));
  kube.Put({"v1", "pods", "prod", "db-0", ""}, Meta("prod", "db-0", "StatefulSet", "db"));
  kube.Put({"v1", "pods", "staging", "web-1", ""}, Meta("staging", "web-1"));
  kube.Put({"apps/v1", "replicasets", "prod", "web-7d9f", ""},
           Meta("prod", "web-7d9f", "Deployment", "web"));
  OwnerCache cache(kube, {"prod", "staging"});
  cache.Start();
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!cache.Ready() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
  ASSERT_TRUE(cache.Ready());
  const int calls = kube.CountCalls("get") + kube.CountCalls("list");

  OwnerLookup web = cache.Resolve("prod", "web-1");
  ASSERT_EQ(web.outcome, OwnerLookup::Outcome::kFound);
  EXPECT_EQ(web.owner.set_type, SetType::kReplica);
  EXPECT_EQ(web.owner.set_name, "web-7d9f");
  EXPECT_EQ(web.owner.deployment, "web");
  EXPECT_EQ(cache.Resolve("prod", "db-0").owner.set_type, SetType::kStateful);
  EXPECT_FALSE(cache.Resolve("staging", "web-1").owner.set_type);
  EXPECT_EQ(cache.Resolve("prod", "ghost").outcome, OwnerLookup::Outcome::kPodNotFound);
  EXPECT_EQ(cache.Resolve("other", "web-1").outcome, OwnerLookup::Outcome::kPodNotFound);
  EXPECT_EQ(kube.CountCalls("get") + kube.CountCalls("list"), calls);
  cache.Stop();
}

}  // namespace
}  // namespace keyward
