#include "kube/json_fields.h"

#include <gtest/gtest.h>

namespace keyward {
namespace {

using web::json::value;

TEST(JsonFields, ReadsPresentFieldsOfTheRightType) {
  value v = value::parse(R"({"metadata":{"name":"a","generation":3,"deleted":true,
                             "ownerReferences":[{"kind":"ReplicaSet"}]}})");
  EXPECT_EQ(JsonStringOr(v, {"metadata", "name"}), "a");
  EXPECT_EQ(JsonInt(v, {"metadata", "generation"}), 3);
  EXPECT_EQ(JsonBool(v, {"metadata", "deleted"}), true);
  EXPECT_EQ(JsonArray(v, {"metadata", "ownerReferences"}).size(), 1u);
  EXPECT_NE(JsonObject(v, {"metadata"}), nullptr);
}

// Every odd shape an object from a client or a broken server can have:
// absent, null, the wrong type, a path through a non-object.
TEST(JsonFields, MissingOrMistypedNeverThrows) {
  const char* docs[] = {"null", "5", "\"s\"", "[]", "{}", R"({"metadata":null})",
                        R"({"metadata":"x"})", R"({"metadata":{"name":5,"generation":"3",
                        "deleted":"true","ownerReferences":{"a":1}}})",
                        R"({"metadata":{"generation":1.5}})"};
  for (const char* doc : docs) {
    value v = value::parse(doc);
    EXPECT_EQ(JsonStringOr(v, {"metadata", "name"}, "none"), "none") << doc;
    EXPECT_FALSE(JsonInt(v, {"metadata", "generation"})) << doc;
    EXPECT_FALSE(JsonBool(v, {"metadata", "deleted"})) << doc;
    EXPECT_TRUE(JsonArray(v, {"metadata", "ownerReferences"}).size() == 0) << doc;
    EXPECT_EQ(JsonObject(v, {"metadata", "name"}), nullptr) << doc;
  }
}

TEST(WipeJsonString, ZeroesTheStringInPlace) {
  value secret = value::parse(R"({"data":{"key":"a3dfc2VjcmV0","url":"x"}})");
  const std::string* storage = &secret.at("data").at("key").as_string();
  WipeJsonString(secret, {"data", "key"});
  EXPECT_EQ(*storage, std::string(12, '\0'));
  EXPECT_EQ(secret.at("data").at("url").as_string(), "x");
  WipeJsonString(secret, {"data", "absent"});  // nothing there: no-op
  WipeJsonString(secret, {"data"});            // not a string: no-op
}

}  // namespace
}  // namespace keyward

namespace keyward {
namespace {

TEST(StripForCache, DropsManagedFieldsAndLastAppliedKeepsTheRest) {
  auto obj = web::json::value::parse(R"({"metadata":{"name":"a","managedFields":[{"manager":"kubectl"}],
    "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{...}","keyward.io/created-by":"alice"}},
    "spec":{"description":"d"}})");
  StripForCache(obj);
  EXPECT_FALSE(obj.at("metadata").has_field("managedFields"));
  EXPECT_FALSE(obj.at("metadata").at("annotations").has_field("kubectl.kubernetes.io/last-applied-configuration"));
  EXPECT_EQ(obj.at("metadata").at("annotations").at("keyward.io/created-by").as_string(), "alice");
  EXPECT_EQ(obj.at("spec").at("description").as_string(), "d");
  auto only = web::json::value::parse(R"({"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"x"}}})");
  StripForCache(only);
  EXPECT_FALSE(only.at("metadata").has_field("annotations"));
  auto odd = web::json::value::parse(R"({"metadata":"not an object"})");
  StripForCache(odd);  // never throws on odd input
  EXPECT_TRUE(odd.at("metadata").is_string());
}

}  // namespace
}  // namespace keyward
