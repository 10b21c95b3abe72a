#include "kube/watcher.h"

#include <gtest/gtest.h>

#include "kube/fake_kube_client.h"

namespace keyward {
namespace {

using web::json::value;

const ResourcePath kApiKeys{"keyward.io/v1alpha1", "apikeys", "", "", ""};

value Obj(const std::string& ns, const std::string& name, const std::string& rv) {
  value o;
  o["metadata"]["namespace"] = value::string(ns);
  o["metadata"]["name"] = value::string(name);
  o["metadata"]["resourceVersion"] = value::string(rv);
  return o;
}

ResourcePath Item(const std::string& ns, const std::string& name) {
  return {"keyward.io/v1alpha1", "apikeys", ns, name, ""};
}

struct Recorder {
  std::vector<std::string> applied, deleted;
  WatcherHandler Handler() {
    WatcherHandler h;
    h.on_apply = [this](const ObjectPtr& o) { applied.push_back(ObjectKey(*o)); };
    h.on_delete = [this](const std::string& k) { deleted.push_back(k); };
    return h;
  }
};

TEST(Watcher, ListsAllPagesThenSwapsInAtOnce) {
  FakeKubeClient kube;
  for (int i = 0; i < 5; ++i) kube.Put(Item("ns", "k" + std::to_string(i)), Obj("ns", "k" + std::to_string(i), "1"));
  ObjectStore store;
  Recorder rec;
  WatcherConfig cfg;
  cfg.page_size = 2;
  Watcher w(kube, kApiKeys, store, rec.Handler(), cfg);
  ASSERT_TRUE(w.ListOnce());
  EXPECT_EQ(kube.CountCalls("list"), 3);
  EXPECT_EQ(store.size(), 5u);
  EXPECT_TRUE(store.ready());
  EXPECT_EQ(rec.applied.size(), 5u);
  EXPECT_EQ(w.resource_version(), kube.resource_version());
}

// issue 28, item 10: a continue token that expires mid-list (410) starts
// the list over at once as one unpaged list, instead of failing the list
// and paging again (which can expire again on a large collection).
TEST(Watcher, AnExpiredContinueTokenListsAgainWithoutPages) {
  FakeKubeClient kube;
  for (int i = 0; i < 5; ++i) kube.Put(Item("ns", "k" + std::to_string(i)), Obj("ns", "k" + std::to_string(i), "1"));
  int lists = 0;
  kube.before_call = [&](const std::string& verb) {
    if (verb == "list" && ++lists == 2) kube.FailNext("list", {410, "Expired", "continue token too old"});
  };
  ObjectStore store;
  Recorder rec;
  WatcherConfig cfg;
  cfg.page_size = 2;
  Watcher w(kube, kApiKeys, store, rec.Handler(), cfg);
  ASSERT_TRUE(w.ListOnce());
  EXPECT_EQ(lists, 3);  // a page, the expired one, then everything at once
  EXPECT_EQ(store.size(), 5u);
  EXPECT_EQ(rec.applied.size(), 5u);
}

TEST(Watcher, SeesEachObjectOfTheFirstListAsItsPageIsReadAndNoRelist) {
  FakeKubeClient kube;
  for (int i = 0; i < 5; ++i) kube.Put(Item("ns", "k" + std::to_string(i)), Obj("ns", "k" + std::to_string(i), "1"));
  ObjectStore store;
  Recorder rec;
  WatcherHandler handler = rec.Handler();
  std::vector<std::string> seen;
  std::vector<std::size_t> stored_then;
  handler.on_first_list_item = [&](const std::string& text) {
    seen.push_back(ObjectKey(value::parse(text)));
    stored_then.push_back(store.size());
  };
  WatcherConfig cfg;
  cfg.page_size = 2;
  Watcher w(kube, kApiKeys, store, handler, cfg);
  ASSERT_TRUE(w.ListOnce());
  EXPECT_EQ(seen, (std::vector<std::string>{"ns/k0", "ns/k1", "ns/k2", "ns/k3", "ns/k4"}));
  for (std::size_t n : stored_then) EXPECT_EQ(n, 0u);  // before the store held the list
  ASSERT_TRUE(w.ListOnce());  // a relist: the watch and the reconciles see it
  EXPECT_EQ(seen.size(), 5u);
}

TEST(Watcher, AppliesEventsAndTracksBookmarks) {
  FakeKubeClient kube;
  ObjectStore store;
  Recorder rec;
  Watcher w(kube, kApiKeys, store, rec.Handler());
  ASSERT_TRUE(w.ListOnce());
  value bookmark;
  bookmark["metadata"]["resourceVersion"] = value::string("900");
  kube.AddWatch({{{"ADDED", Obj("a", "x", "500")},
                  {"MODIFIED", Obj("a", "x", "501")},
                  {"ADDED", Obj("a", "y", "502")},
                  {"DELETED", Obj("a", "y", "503")},
                  {"BOOKMARK", bookmark}},
                 {200, "", ""}});
  EXPECT_EQ(w.WatchOnce(), Watcher::WatchEnd::kClosed);
  EXPECT_EQ(store.size(), 1u);
  EXPECT_TRUE(store.Get("a/x"));
  EXPECT_EQ(store.Get("a/x")->at("metadata").at("resourceVersion").as_string(), "501");
  EXPECT_EQ(rec.deleted, std::vector<std::string>{"a/y"});
  EXPECT_EQ(w.resource_version(), "900");  // resumes after the bookmark
}

TEST(Watcher, GoneForcesRelistAndReportsObjectsDeletedMeanwhile) {
  FakeKubeClient kube;
  kube.Put(Item("ns", "old"), Obj("ns", "old", "1"));
  ObjectStore store;
  Recorder rec;
  Watcher w(kube, kApiKeys, store, rec.Handler());
  ASSERT_TRUE(w.ListOnce());
  value gone;
  gone["kind"] = value::string("Status");
  gone["code"] = value::number(410);
  gone["reason"] = value::string("Expired");
  kube.AddWatch({{{"ERROR", gone}}, {200, "", ""}});
  EXPECT_EQ(w.WatchOnce(), Watcher::WatchEnd::kGone);
  EXPECT_EQ(w.resource_version(), "");
  // While we were away: "old" was deleted and "new" created.
  kube.Delete(Item("ns", "old"), {});
  kube.Put(Item("ns", "new"), Obj("ns", "new", "2"));
  ASSERT_TRUE(w.ListOnce());
  EXPECT_EQ(store.Keys(), std::vector<std::string>{"ns/new"});
  EXPECT_EQ(rec.deleted, std::vector<std::string>{"ns/old"});
  // A 410 on the watch request itself also relists.
  kube.AddWatch({{}, {410, "Gone", "too old"}});
  EXPECT_EQ(w.WatchOnce(), Watcher::WatchEnd::kGone);
}

TEST(Watcher, TransportFailureKeepsResourceVersion) {
  FakeKubeClient kube;
  ObjectStore store;
  Recorder rec;
  Watcher w(kube, kApiKeys, store, rec.Handler());
  ASSERT_TRUE(w.ListOnce());
  std::string rv = w.resource_version();
  kube.AddWatch({{}, {0, "Transport", "connection refused"}});
  EXPECT_EQ(w.WatchOnce(), Watcher::WatchEnd::kFailed);
  EXPECT_EQ(w.resource_version(), rv);
  kube.FailNext("list", {500, "InternalError", "etcd down"});
  EXPECT_FALSE(w.ListOnce());
}

TEST(Watcher, RunLoopRecoversAndStops) {
  FakeKubeClient kube;
  kube.Put(Item("ns", "a"), Obj("ns", "a", "1"));
  kube.FailNext("list", {503, "ServiceUnavailable", "starting"});
  ObjectStore store;
  Recorder rec;
  WatcherConfig cfg;
  cfg.backoff_min = std::chrono::milliseconds(1);
  cfg.backoff_max = std::chrono::milliseconds(5);
  Watcher w(kube, kApiKeys, store, rec.Handler(), cfg);
  w.Start();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!store.ready() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  w.Stop();
  EXPECT_TRUE(store.ready());
  EXPECT_GE(kube.CountCalls("list"), 2);
}

}  // namespace
}  // namespace keyward
