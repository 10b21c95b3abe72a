#include "api/manifest.h"

#include <gtest/gtest.h>

namespace keyward {
namespace {

TEST(YamlToJson, ResolvesScalarsLikeKubectl) {
  ManifestLoad load;
  ParseManifestText(
      "a: 1\nb: \"1\"\nc: true\nd: 'false'\ne: 1.5\nf: ~\ng: hello\nh: [x, 2]\ni: {j: k}\n"
      "l: 0x10\nm: -3\n",
      "t.yaml", &load);
  ASSERT_EQ(load.documents.size(), 1u);
  const auto& o = load.documents[0].object;
  EXPECT_TRUE(o.at("a").is_integer());
  EXPECT_TRUE(o.at("b").is_string());
  EXPECT_TRUE(o.at("c").as_bool());
  EXPECT_EQ(o.at("d").as_string(), "false");
  EXPECT_DOUBLE_EQ(o.at("e").as_double(), 1.5);
  EXPECT_TRUE(o.at("f").is_null());
  EXPECT_EQ(o.at("g").as_string(), "hello");
  EXPECT_EQ(o.at("h").as_array().size(), 2u);
  EXPECT_EQ(o.at("i").at("j").as_string(), "k");
  EXPECT_EQ(o.at("l").as_integer(), 16);
  EXPECT_EQ(o.at("m").as_integer(), -3);
}

TEST(ParseManifestText, MultiDocumentSkipsEmptyAndReportsErrors) {
  ManifestLoad load;
  ParseManifestText("---\na: 1\n---\n---\nb: 2\n", "multi.yaml", &load);
  ASSERT_EQ(load.documents.size(), 2u);
  EXPECT_EQ(load.documents[1].index, 2);
  ManifestLoad bad;
  ParseManifestText("a: [1, 2\n", "bad.yaml", &bad);
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_NE(bad.errors[0].find("bad.yaml: line"), std::string::npos) << bad.errors[0];
}

TEST(LoadManifests, MissingPathIsAnError) {
  ManifestLoad load = LoadManifests("/nonexistent/keyward.yaml");
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_NE(load.errors[0].find("no such file"), std::string::npos);
}

}  // namespace
}  // namespace keyward
