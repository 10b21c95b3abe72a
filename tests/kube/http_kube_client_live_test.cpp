// keyward's HTTP client against a real kube-apiserver: pagination, Status
// errors, streaming watch and cancellation. Not a CTest test: e2e/test_kube_client.py
// runs this binary with KEYWARD_TEST_KUBECONFIG set to the loopback control plane.
#include "kube/http_kube_client.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "kube/kube_config.h"

namespace keyward {
namespace {

using web::json::value;
using Clock = std::chrono::steady_clock;

// Uses ConfigMaps in "default", labelled with this run's id.
class LiveApiServer : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* path = std::getenv("KEYWARD_TEST_KUBECONFIG");
    ASSERT_TRUE(path && *path) << "set KEYWARD_TEST_KUBECONFIG to a kubeconfig (e2e/test_kube_client.py does)";
    auto cfg = LoadKubeconfig(path);
    ASSERT_TRUE(cfg.ok()) << cfg.error();
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
