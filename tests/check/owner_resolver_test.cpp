#include "check/owner_resolver.h"

#include <gtest/gtest.h>

#include "kube/fake_kube_client.h"

namespace keyward {
namespace {

using web::json::value;

value WithOwner(const std::string& name, const std::string& kind, const std::string& owner) {
  value v = value::parse(R"({"metadata":{}})");
  v["metadata"]["name"] = value::string(name);
  if (!kind.empty()) {
    v["metadata"]["ownerReferences"] = value::parse(R"([{"controller":true}])");
    v["metadata"]["ownerReferences"][0]["kind"] = value::string(kind);
    v["metadata"]["ownerReferences"][0]["name"] = value::string(owner);
  }
  return v;
}

struct Cluster {
  FakeKubeClient kube;
  void Pod(const std::string& name, const std::string& kind = "", const std::string& owner = "") {
    kube.Put({"v1", "pods", "prod", name, ""}, WithOwner(name, kind, owner));
  }
  void ReplicaSet(const std::string& name, const std::string& deployment) {
    kube.Put({"apps/v1", "replicasets", "prod", name, ""},
             WithOwner(name, deployment.empty() ? "" : "Deployment", deployment));
  }
  OwnerLookup Resolve(const std::string& pod) { return ApiOwnerResolver(kube).Resolve("prod", pod); }
};

TEST(ApiOwnerResolver, ResolvesEachKindOfOwner) {
  Cluster c;
  c.Pod("web-1", "ReplicaSet", "web-7d9f");
  c.ReplicaSet("web-7d9f", "web");
  c.Pod("db-0", "StatefulSet", "db");
  c.Pod("agent-x", "DaemonSet", "agent");
  c.Pod("bare");
  c.Pod("job-1", "Job", "nightly");

  OwnerLookup web = c.Resolve("web-1");
  ASSERT_EQ(web.outcome, OwnerLookup::Outcome::kFound);
  EXPECT_EQ(web.owner.set_type, SetType::kReplica);
  EXPECT_EQ(web.owner.set_name, "web-7d9f");
  EXPECT_EQ(web.owner.deployment, "web");
  EXPECT_EQ(c.Resolve("db-0").owner.set_type, SetType::kStateful);
  EXPECT_EQ(c.Resolve("agent-x").owner.set_name, "agent");
  EXPECT_FALSE(c.Resolve("bare").owner.set_type);
  EXPECT_FALSE(c.Resolve("job-1").owner.set_type);  // a Job is not a set
  EXPECT_EQ(c.Resolve("missing").outcome, OwnerLookup::Outcome::kPodNotFound);
}

TEST(ApiOwnerResolver, ApiErrorsAreUnavailableNotNotFound) {
  Cluster c;
  c.kube.FailNext("get", {503, "ServiceUnavailable", "etcd down"});
  OwnerLookup r = c.Resolve("web-1");
  EXPECT_EQ(r.outcome, OwnerLookup::Outcome::kUnavailable);
  EXPECT_NE(r.error.find("ServiceUnavailable"), std::string::npos) << r.error;
}

// Objects a broken or hostile API could return must not throw.
TEST(ControllerOf, OddOwnerReferencesGiveNoOwner) {
  for (const char* doc : {R"({})", R"({"metadata":{"ownerReferences":5}})",
                          R"({"metadata":{"ownerReferences":[5,"x",{"controller":"yes"}]}})",
                          R"({"metadata":{"ownerReferences":[{"controller":true,"kind":3}]}})"}) {
    EXPECT_FALSE(ControllerOf(value::parse(doc))) << doc;
  }
}

}  // namespace
}  // namespace keyward
