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
