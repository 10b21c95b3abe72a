#include "http_kube_client.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
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

// Against a real API server: set KEYWARD_TEST_KUBECONFIG (e.g. to the output
// of `e2e/cluster kubeconfig`). Uses ConfigMaps in "default".
class LiveApiServer : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* path = std::getenv("KEYWARD_TEST_KUBECONFIG");
    if (!path || !*path) GTEST_SKIP() << "KEYWARD_TEST_KUBECONFIG not set";
    std::string error;
    auto cfg = LoadKubeconfig(path, &error);
    ASSERT_TRUE(cfg) << error;
    kube_ = std::make_unique<HttpKubeClient>(*cfg, 50, 100);
    run_ = std::to_string(getpid()) + "-" + std::to_string(Clock::now().time_since_epoch().count() % 1000000);
  }

  value ConfigMap(const std::string& name) const {
    value cm;
    cm["apiVersion"] = value::string("v1");
    cm["kind"] = value::string("ConfigMap");
    cm["metadata"]["name"] = value::string(name);
    cm["metadata"]["labels"]["keyward-test"] = value::string(run_);
    cm["data"]["a"] = value::string("1");
    return cm;
  }

  std::unique_ptr<HttpKubeClient> kube_;
  std::string run_;
  const ResourcePath configmaps_{"v1", "configmaps", "default", "", ""};
};

TEST_F(LiveApiServer, ListsNamespacesInPages) {
  ResourcePath namespaces{"v1", "namespaces", "", "", ""};
  ListOptions options;
  options.limit = 2;
  std::set<std::string> paged;
  int pages = 0;
  do {
    KubeResult page = kube_->List(namespaces, options);
    ASSERT_TRUE(page.status.ok()) << page.status.String();
    ++pages;
    EXPECT_LE(page.body.at("items").size(), 2u);
    for (const auto& item : page.body.at("items").as_array()) {
      paged.insert(item.at("metadata").at("name").as_string());
    }
    const value& meta = page.body.at("metadata");
    options.continue_token = meta.has_field("continue") ? meta.at("continue").as_string() : "";
  } while (!options.continue_token.empty());
  KubeResult all = kube_->List(namespaces, ListOptions{});
  ASSERT_TRUE(all.status.ok()) << all.status.String();
  EXPECT_EQ(paged.size(), all.body.at("items").size());
  EXPECT_GE(pages, 2);
  EXPECT_TRUE(paged.count("default") && paged.count("kube-system"));
}

TEST_F(LiveApiServer, ConfigMapLifecycleAndErrors) {
  const std::string name = "keyward-test-" + run_;
  ResourcePath one = configmaps_;
  one.name = name;
  KubeResult created = kube_->Create(one, ConfigMap(name));
  ASSERT_EQ(created.status.code, 201) << created.status.String();
  const std::string uid = created.body.at("metadata").at("uid").as_string();
  const std::string rv = created.body.at("metadata").at("resourceVersion").as_string();

  KubeStatus again = kube_->Create(one, ConfigMap(name)).status;
  EXPECT_TRUE(again.AlreadyExists()) << again.String();
  EXPECT_NE(again.message.find(name), std::string::npos);

  value patch;
  patch["data"]["b"] = value::string("2");
  KubeResult patched = kube_->MergePatch(one, patch);
  ASSERT_TRUE(patched.status.ok()) << patched.status.String();
  EXPECT_EQ(patched.body.at("data").at("a").as_string(), "1");
  EXPECT_EQ(patched.body.at("data").at("b").as_string(), "2");

  KubeResult got = kube_->Get(one);
  ASSERT_TRUE(got.status.ok()) << got.status.String();
  EXPECT_EQ(got.body.at("data").at("b").as_string(), "2");

  value stale = ConfigMap(name);  // PUT with the creation resourceVersion
  stale["metadata"]["resourceVersion"] = value::string(rv);
  KubeStatus conflict = kube_->Update(one, stale).status;
  EXPECT_TRUE(conflict.Conflict()) << conflict.String();

  ListOptions selected;
  selected.label_selector = "keyward-test=" + run_ + ",keyward-test!=x";
  KubeResult listed = kube_->List(configmaps_, selected);
  ASSERT_TRUE(listed.status.ok()) << listed.status.String();
  ASSERT_EQ(listed.body.at("items").size(), 1u);

  DeleteOptions wrong_uid;
  wrong_uid.precondition_uid = "00000000-0000-0000-0000-000000000000";
  EXPECT_EQ(kube_->Delete(one, wrong_uid).status.code, 409);
  DeleteOptions right_uid;
  right_uid.precondition_uid = uid;
  KubeStatus deleted = kube_->Delete(one, right_uid).status;
  EXPECT_TRUE(deleted.ok()) << deleted.String();
  KubeStatus gone = kube_->Get(one).status;
  EXPECT_TRUE(gone.NotFound()) << gone.String();
  EXPECT_EQ(gone.reason, "NotFound");
  EXPECT_TRUE(kube_->Delete(one, DeleteOptions{}).status.NotFound());
}

// Events arrive while the watch is open (each before the next write), and
// cancelling returns promptly from a blocked read.
TEST_F(LiveApiServer, WatchStreamsEventsAndStopsOnCancel) {
  const std::string name = "keyward-watch-" + run_;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> events;
  pplx::cancellation_token_source cancel;
  WatchOptions options;
  options.label_selector = "keyward-test=" + run_;
  KubeStatus watch_status;
  Clock::time_point returned;
  std::thread watcher([&] {
    watch_status = kube_->Watch(configmaps_, options, [&](const std::string& type, const value& obj) {
      if (type == "BOOKMARK") return true;
      std::lock_guard lock(mu);
      events.push_back(type + " " + obj.at("metadata").at("name").as_string());
      cv.notify_all();
      return true;
    }, cancel.get_token());
    returned = Clock::now();
  });
  auto await = [&](std::size_t n) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(10), [&] { return events.size() >= n; });
  };
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let the watch start
  ResourcePath one = configmaps_;
  one.name = name;
  ASSERT_TRUE(kube_->Create(one, ConfigMap(name)).status.ok());
  EXPECT_TRUE(await(1));
  value patch;
  patch["data"]["b"] = value::string("2");
  ASSERT_TRUE(kube_->MergePatch(one, patch).status.ok());
  EXPECT_TRUE(await(2));
  ASSERT_TRUE(kube_->Delete(one, DeleteOptions{}).status.ok());
  EXPECT_TRUE(await(3));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // now idle, blocked in a read
  auto cancelled_at = Clock::now();
  cancel.cancel();
  watcher.join();
  EXPECT_LT(returned - cancelled_at, std::chrono::seconds(1));
  EXPECT_EQ(watch_status.reason, "Transport");
  EXPECT_EQ(events, (std::vector<std::string>{"ADDED " + name, "MODIFIED " + name, "DELETED " + name}));
}

TEST_F(LiveApiServer, WatchEndsWhenTheServerDoesOrTheHandlerSaysSo) {
  WatchOptions options;
  options.timeout_seconds = 1;
  auto start = Clock::now();
  KubeStatus s = kube_->Watch(configmaps_, options, [](const std::string&, const value&) { return true; },
                              pplx::cancellation_token::none());
  EXPECT_EQ(s.code, 200) << s.String();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));

  int seen = 0;  // without a resourceVersion the watch opens with an ADDED per namespace
  s = kube_->Watch(ResourcePath{"v1", "namespaces", "", "", ""}, WatchOptions{},
                   [&](const std::string&, const value&) { return ++seen < 2; },
                   pplx::cancellation_token::none());
  EXPECT_EQ(s.code, 200) << s.String();
  EXPECT_EQ(seen, 2);

  s = kube_->Watch(ResourcePath{"v1", "nosuchthings", "", "", ""}, options,
                   [](const std::string&, const value&) { return true; },
                   pplx::cancellation_token::none());
  EXPECT_TRUE(s.NotFound()) << s.String();
}

}  // namespace
}  // namespace keyward
