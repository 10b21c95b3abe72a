// IndexSynced: what a replica may answer for before any reconcile.
#include "api/apikey_policy.h"

#include <gtest/gtest.h>

#include <deque>
#include <map>

#include "keys/key_format.h"
#include "keys/key_hash.h"

namespace keyward {
namespace {

const TimePoint kNow = *ParseRfc3339("2026-11-22T12:00:00Z");

struct Listed {
  KeyIndex index{"pepper-for-tests-0123456789abcdef"};
  std::deque<web::json::value> items;  // stable references for the tests to edit
  std::map<std::string, std::string> keys;  // name -> key

  // An ApiKey object as the API server lists it, with a minted key.
  web::json::value& Add(const std::string& name, const std::string& type = "permanent",
                        const std::string& phase = "Active", int generation = 2, int observed = 2) {
    std::string key = MintKey();
    keys[name] = key;
    auto v = web::json::value::parse(R"({"apiVersion":"keyward.io/v1alpha1","kind":"ApiKey",
      "metadata":{"name":"","namespace":"team-a","uid":"u","creationTimestamp":"2026-11-01T00:00:00Z"},
      "spec":{"description":"d","access":[{"scope":"namespace","namespaces":["prod"]}]},
      "status":{}})");
    v["metadata"]["name"] = web::json::value::string(name);
    v["metadata"]["generation"] = generation;
    v["spec"]["type"] = web::json::value::string(type);
    v["status"]["phase"] = web::json::value::string(phase);
    v["status"]["observedGeneration"] = observed;
    v["status"]["keyHash"] = web::json::value::string(index.hasher().ToStatus(index.hasher().Hash(key)));
    items.push_back(std::move(v));
    return items.back();
  }
  std::size_t Index() {
    std::size_t n = 0;
    for (const auto& v : items) n += IndexSynced(v, &index, kNow);
    return n;
  }
  bool Found(const std::string& name) const {
    return index.Lookup(keys.at(name), kNow).status == LookupStatus::kFound;
  }
};

TEST(IndexSynced, ActiveKeysWhoseStatusIsCurrentAnswerAtOnce) {
  Listed l;
  l.Add("active");
  l.Add("volatile", "volatile");              // its digest means nothing without the leader's memory
  l.Add("pending", "permanent", "Pending");
  l.Add("stale", "permanent", "Active", 3, 2);  // spec changed since the status was written
  l.Add("invalid")["spec"]["access"][0]["scope"] = web::json::value::string("galaxy");
  EXPECT_EQ(l.Index(), 1u);
  EXPECT_TRUE(l.Found("active"));
  for (const char* waits : {"volatile", "pending", "stale", "invalid"}) {
    EXPECT_FALSE(l.Found(waits)) << waits;
  }
}

TEST(IndexSynced, ADigestOfAnotherPepperIsSkipped) {
  Listed l;
  KeyHasher other("another-pepper-0123456789abcdefgh");
  l.Add("foreign")["status"]["keyHash"] = web::json::value::string(other.ToStatus(other.Hash(MintKey())));
  EXPECT_EQ(l.Index(), 0u);
}

}  // namespace
}  // namespace keyward
