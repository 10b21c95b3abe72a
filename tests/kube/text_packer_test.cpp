// TextPacker: what it packs comes back byte for byte, a dictionary of a
// typical object makes similar objects small, and foreign bytes are refused.
#include "kube/text_packer.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace keyward {
namespace {

std::string ApiKeyText(int i) {
  std::string n = std::to_string(i);
  return R"({"apiVersion":"keyward.io/v1alpha1","kind":"ApiKey","metadata":{"name":"key-)" + n +
         R"(","namespace":"team-a","uid":"0b6f3c2e-1d0a-4c55-9a1e-)" + std::to_string(100000 + i) +
         R"(","resourceVersion":")" + std::to_string(5000 + i) +
         R"(","generation":1,"labels":{"team":"a"}},"spec":{"type":"permanent","access":[)"
         R"({"scope":"namespace","namespaces":["production","staging"],"actions":["log"]}]},)"
         R"("status":{"phase":"Active","keyHint":"kw_)" + n +
         R"(","conditions":[{"type":"Ready","status":"True","reason":"KeyMinted",)"
         R"("message":"the key is in Secret key-)" + n + R"(-apikey"}]}})";
}

TEST(TextPacker, GivesBackExactlyWhatItPacked) {
  TextPacker plain("");
  TextPacker with_dictionary(ApiKeyText(0));
  for (const std::string& text : {std::string(), std::string("x"), ApiKeyText(7), std::string(70000, 'a')}) {
    EXPECT_EQ(plain.Unpack(plain.Pack(text)), text);
    EXPECT_EQ(with_dictionary.Unpack(with_dictionary.Pack(text)), text);
  }
}

TEST(TextPacker, ADictionaryOfATypicalObjectMakesItsKindSmall) {
  TextPacker plain("");
  TextPacker with_dictionary(ApiKeyText(0));
  const std::string text = ApiKeyText(4242);
  std::size_t without = plain.Pack(text).size(), with = with_dictionary.Pack(text).size();
  EXPECT_LT(with * 4, text.size()) << text.size() << " bytes packed to " << with;
  EXPECT_LT(with * 2, without);
}

TEST(TextPacker, RefusesBytesItDidNotMake) {
  TextPacker packer(ApiKeyText(0));
  EXPECT_THROW(packer.Unpack("not zstd at all"), std::runtime_error);
  std::string packed = packer.Pack(ApiKeyText(1));
  packed.resize(packed.size() - 3);
  EXPECT_THROW(packer.Unpack(packed), std::runtime_error);
}

TEST(TextPacker, PacksFromManyThreadsAtOnce) {
  TextPacker packer(ApiKeyText(0));
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        std::string text = ApiKeyText(t * 1000 + i);
        ok[t] += packer.Unpack(packer.Pack(text)) == text;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok, (std::vector<int>{500, 500, 500, 500}));
}

}  // namespace
}  // namespace keyward
