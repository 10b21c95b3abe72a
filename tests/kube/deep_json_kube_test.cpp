// The parsers of what the API server and peer replicas send, fed JSON nested
// far deeper than any object: each refuses it, on a thread with the default
// stack, instead of overflowing it. List pages (RapidJSON) are measured
// first; cpprestsdk (watch events, answers, replica messages) stops at 128
// levels by itself, and these tests hold it to that.
#include <gtest/gtest.h>

#include <thread>

#include <cpprest/json.h>
#include "kube/list_page.h"
#include "replicas/peer_messages.h"

namespace keyward {
namespace {

template <typename F>
void OnThread(F f) {
  std::thread t(f);
  t.join();
}

const std::string kDeep = std::string(1 << 20, '[');

TEST(DeepJsonKube, ListPageIsRefusedWithAReason) {
  OnThread([] {
    std::string error;
    auto page = ParseListPage(R"({"kind":"List","items":[{"metadata":{"name":"a","x":)" + kDeep, {}, &error);
    EXPECT_FALSE(page.has_value());
    EXPECT_NE(error.find("deeper than 512 levels"), std::string::npos) << error;
  });
}

TEST(DeepJsonKube, CpprestsdkRefusesMoreThan128LevelsItself) {
  OnThread([] {
    EXPECT_THROW(web::json::value::parse(kDeep), web::json::json_exception);
    EXPECT_THROW(web::json::value::parse(R"({"type":"ADDED","object":)" + std::string(600, '{')),
                 web::json::json_exception);
    EXPECT_THROW(web::json::value::parse(std::string(129, '[') + std::string(129, ']')), web::json::json_exception);
    EXPECT_TRUE(web::json::value::parse(std::string(128, '[') + std::string(128, ']')).is_array());
  });
}

TEST(DeepJsonKube, ReplicaMessagesAreRefused) {
  OnThread([] {
    EXPECT_FALSE(DecodeSyncRequest(kDeep).ok());
    EXPECT_FALSE(DecodeSyncResponse(R"({"usage":)" + kDeep, "p1").ok());
  });
}

}  // namespace
}  // namespace keyward
