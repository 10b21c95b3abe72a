// keyward's HTTP client without a cluster: URLs, query encoding, bearer-token
// reloading, transport errors. The live cases are in http_kube_client_live_test.cpp.
#include "kube/http_kube_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace keyward {
namespace {

using web::json::value;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

TEST(HttpKubeClient, QueryParametersAreEncoded) {
  EXPECT_EQ(QueryString({}), "");
  EXPECT_EQ(QueryString({{"labelSelector", "a=b,c in (d)"}, {"limit", "500"}}),
            "?labelSelector=a%3Db%2Cc%20in%20%28d%29&limit=500");
  EXPECT_EQ(QueryString({{"continue", "eyJ2Ijo+/x=="}}), "?continue=eyJ2Ijo%2B%2Fx%3D%3D");
}

TEST(HttpKubeClient, ListAndWatchUrls) {
  ResourcePath secrets{"v1", "secrets", "ns", "", ""};
  EXPECT_EQ(ListUrl(secrets, ListOptions{}), "/api/v1/namespaces/ns/secrets?limit=500");
  ListOptions list;
  list.limit = 2;
  list.continue_token = "tok=";
  list.label_selector = "app=x,tier!=db";
  list.field_selector = "metadata.name=a";
  list.resource_version = "0";
  EXPECT_EQ(ListUrl(secrets, list),
            "/api/v1/namespaces/ns/secrets?limit=2&continue=tok%3D&labelSelector=app%3Dx%2Ctier%21%3Ddb"
            "&fieldSelector=metadata.name%3Da&resourceVersion=0");
  EXPECT_EQ(WatchUrl(secrets, WatchOptions{}),
            "/api/v1/namespaces/ns/secrets?watch=true&allowWatchBookmarks=true&timeoutSeconds=290");
  WatchOptions watch;
  watch.resource_version = "42";
  watch.allow_bookmarks = false;
  watch.timeout_seconds = 5;
  watch.label_selector = "a in (b,c)";
  EXPECT_EQ(WatchUrl(ResourcePath{"keyward.io/v1alpha1", "apikeys", "", "", ""}, watch),
            "/apis/keyward.io/v1alpha1/apikeys?watch=true&resourceVersion=42&timeoutSeconds=5"
            "&labelSelector=a%20in%20%28b%2Cc%29");
}

TEST(HttpKubeClient, StatusMapping) {
  auto body = value::parse(
      R"({"kind":"Status","status":"Failure","reason":"AlreadyExists","message":"exists","code":409})");
  KubeStatus s = StatusFromResponse(409, body);
  EXPECT_TRUE(s.AlreadyExists());
  EXPECT_FALSE(s.Conflict());
  EXPECT_EQ(s.String(), "409 AlreadyExists: exists");
  EXPECT_TRUE(StatusFromResponse(404, value()).NotFound());
  EXPECT_TRUE(StatusFromResponse(410, value()).Gone());
  EXPECT_TRUE(StatusFromResponse(429, value()).TooManyRequests());
  EXPECT_EQ(StatusFromResponse(409, value()).reason, "Conflict");
  EXPECT_TRUE(StatusFromResponse(409, value()).Conflict());
  EXPECT_EQ(StatusFromResponse(503, value::string("<html>")).reason, "InternalError");
  EXPECT_EQ(StatusFromResponse(418, value()).String(), "418");
  EXPECT_EQ((KubeStatus{0, "Transport", "refused"}).String(), "no response Transport: refused");
}

TEST(ResourcePath, Urls) {
  EXPECT_EQ((ResourcePath{"v1", "secrets", "ns", "s", ""}).Url(), "/api/v1/namespaces/ns/secrets/s");
  EXPECT_EQ((ResourcePath{"keyward.io/v1alpha1", "apikeys", "", "", ""}).Url(),
            "/apis/keyward.io/v1alpha1/apikeys");
  EXPECT_EQ((ResourcePath{"keyward.io/v1alpha1", "apikeys", "ns", "k", "status"}).Url(),
            "/apis/keyward.io/v1alpha1/namespaces/ns/apikeys/k/status");
  EXPECT_EQ((ResourcePath{"v1", "namespaces", "", "ns", ""}).Url(), "/api/v1/namespaces/ns");
}

TEST(BearerToken, FileWinsAndIsReReadOnChangeOrAfterAMinute) {
  EXPECT_EQ(BearerToken("static", "").Get(Clock::now()), "static");
  EXPECT_EQ(BearerToken("", "").Get(Clock::now()), "");

  std::string path = fs::temp_directory_path() / ("keyward-token-" + std::to_string(getpid()));
  const auto base = fs::file_time_type::clock::now();
  auto write = [&](const std::string& text, int mtime_offset_s) {
    std::ofstream(path) << text;
    fs::last_write_time(path, base + std::chrono::seconds(mtime_offset_s));
  };
  write("one\n", 0);
  BearerToken token("static", path);
  auto t = Clock::now();
  EXPECT_EQ(token.Get(t), "one");
  write("two", 10);  // a rotation: new mtime, picked up at once
  EXPECT_EQ(token.Get(t), "two");
  write("three", 10);  // same mtime: the cached token until a minute has passed
  EXPECT_EQ(token.Get(t + std::chrono::seconds(30)), "two");
  EXPECT_EQ(token.Get(t + std::chrono::seconds(61)), "three");
  fs::remove(path);  // unreadable: keep the last token
  EXPECT_EQ(token.Get(t + std::chrono::minutes(5)), "three");
  EXPECT_EQ(BearerToken("static", path).Get(t), "static");
}

TEST(HttpKubeClient, TransportErrorsNameTheRequestOnly) {
  KubeConfig cfg;
  cfg.server = "https://127.0.0.1:1";  // nothing listens on port 1
  HttpKubeClient kube(cfg, 100, 10);
  value secret;
  secret["data"]["key"] = value::string("c2VjcmV0LWtleS1tYXRlcmlhbA==");
  KubeResult r = kube.Create(ResourcePath{"v1", "secrets", "ns", "s", ""}, secret);
  EXPECT_EQ(r.status.code, 0);
  EXPECT_EQ(r.status.reason, "Transport");
  EXPECT_EQ(r.status.message.rfind("POST /api/v1/namespaces/ns/secrets: ", 0), 0u) << r.status.message;
  EXPECT_EQ(r.status.message.find("c2VjcmV0"), std::string::npos);

  cfg.ca_pem = "not a PEM";
  HttpKubeClient bad_ca(cfg, 100, 10);
  EXPECT_EQ(bad_ca.Get(ResourcePath{"v1", "namespaces", "", "x", ""}).status.reason, "Transport");
  pplx::cancellation_token_source cancelled;
  cancelled.cancel();
  EXPECT_EQ(kube.Watch(ResourcePath{"v1", "secrets", "", "", ""}, WatchOptions{},
                       [](const std::string&, const value&) { return true; }, cancelled.get_token())
                .code,
            0);
}

// A server that answers a watch's headers and then sends nothing, as a
// connection whose far end died silently looks: the watch ends after
// WatchOptions::idle_timeout (issue 28, item 5), instead of waiting out
// timeoutSeconds and more.
TEST(HttpKubeClient, ASilentWatchEndsAfterItsIdleTimeout) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(listener, 1), 0);
  socklen_t len = sizeof addr;
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  std::thread server([listener] {
    int conn = accept(listener, nullptr, nullptr);
    char buf[4096];
    (void)!read(conn, buf, sizeof buf);
    const std::string head =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    (void)!write(conn, head.data(), head.size());
    (void)!read(conn, buf, sizeof buf);  // until the client closes
    close(conn);
  });
  KubeConfig cfg;
  cfg.server = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  HttpKubeClient kube(cfg, 100, 10);
  WatchOptions options;
  options.idle_timeout = std::chrono::seconds(1);
  const auto start = Clock::now();
  KubeStatus ended = kube.Watch(ResourcePath{"v1", "secrets", "", "", ""}, options,
                                [](const std::string&, const value&) { return true; },
                                pplx::cancellation_token::none());
  const auto took = Clock::now() - start;
  server.join();
  close(listener);
  EXPECT_EQ(ended.reason, "Transport") << ended.String();
  EXPECT_GE(took, std::chrono::milliseconds(900));
  EXPECT_LT(took, std::chrono::seconds(10)) << "the silent watch was not ended";
}

}  // namespace
}  // namespace keyward
