// The watch cache, in both forms: JSON trees, and compact (text parsed on
// read) with labels counted without decoding.
#include "kube/object_store.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "kube/fake_kube_client.h"
#include "kube/json_fields.h"
#include "kube/watcher.h"

namespace keyward {
namespace {

using web::json::value;

value Key(const std::string& ns, const std::string& name, const std::string& phase) {
  return value::parse(R"({"metadata":{"namespace":")" + ns + R"(","name":")" + name +
                      R"(","uid":"u-)" + name + R"("},"spec":{"type":"permanent","access":[)"
                      R"({"scope":"namespace","namespaces":["prod"]}]},"status":{"phase":")" +
                      phase + R"("}})");
}

StoreOptions Compact() {
  StoreOptions o;
  o.compact = true;
  o.label_fields = {{"status", "phase"}};
  o.label = [](const std::vector<std::string>& fields) { return fields.at(0); };
  return o;
}

TEST(ObjectStore, CompactGivesBackWhatItKeptAndCountsLabelsWithoutDecoding) {
  ObjectStore store(Compact());
  std::vector<StoredObject> listed;
  listed.push_back(store.Keep(Key("a", "k1", "Active")));
  listed.push_back(store.Keep(Key("a", "k2", "Pending")));
  listed.push_back(store.Keep(Key("b", "k3", "Active")));
  EXPECT_FALSE(listed[0].tree) << "a compact store keeps text, not the tree";
  EXPECT_TRUE(store.Replace(std::move(listed)).empty());
  ObjectPtr k1 = store.Get("a/k1");
  ASSERT_TRUE(k1);
  EXPECT_EQ(*k1, Key("a", "k1", "Active"));
  EXPECT_EQ(store.List().size(), 3u);
  std::vector<std::string> visited;
  store.ForEach([&](const value& v) { visited.push_back(ObjectKey(v)); });
  std::sort(visited.begin(), visited.end());
  EXPECT_EQ(visited, (std::vector<std::string>{"a/k1", "a/k2", "b/k3"}));
  EXPECT_EQ(store.CountInNamespace("a"), 2u);
  EXPECT_EQ(store.CountByLabel(), (std::map<std::string, std::size_t>{{"Active", 2}, {"Pending", 1}}));

  store.Apply(std::make_shared<const value>(Key("a", "k2", "Active")));
  store.Delete("b/k3");
  EXPECT_EQ(JsonStringOr(*store.Get("a/k2"), {"status", "phase"}), "Active");
  EXPECT_FALSE(store.Get("b/k3"));
  EXPECT_EQ(store.CountByLabel(), (std::map<std::string, std::size_t>{{"Active", 2}}));

  // A relist without a/k1 reports it gone.
  std::vector<StoredObject> relisted;
  relisted.push_back(store.Keep(Key("a", "k2", "Active")));
  EXPECT_EQ(store.Replace(std::move(relisted)), std::vector<std::string>{"a/k1"});
}

TEST(ObjectStore, TreeStoreSharesTheObjectAndHasNoLabelsUnlessAsked) {
  ObjectStore store;
  auto obj = std::make_shared<const value>(Key("a", "k1", "Active"));
  store.Apply(obj);
  EXPECT_EQ(store.Get("a/k1"), obj);  // the same tree, no copy
  EXPECT_TRUE(store.CountByLabel().empty());
}

// The table's keys are views of each slot's bytes: an object applied again
// is filed under its new slot's key (ASan sees a view of freed bytes).
TEST(ObjectStore, ObjectsAppliedAgainAndAgainKeepTheirKeys) {
  ObjectStore store(Compact());
  std::vector<std::string> names;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 200; ++i) {
      const std::string name = "a-rather-long-name-" + std::to_string((i * 7 + round) % 200);
      store.Apply(std::make_shared<const value>(Key("team", name, round == 2 ? "Active" : "Pending")));
      if (round == 0) names.push_back("team/" + name);
    }
    if (round == 1) store.Delete("team/a-rather-long-name-5");
  }
  EXPECT_EQ(store.size(), 200u);
  std::vector<std::string> keys = store.Keys();
  std::sort(keys.begin(), keys.end());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(keys, names);
  for (const std::string& key : names) {
    ObjectPtr o = store.Get(key);
    ASSERT_TRUE(o) << key;
    EXPECT_EQ(ObjectKey(*o), key);
  }
  EXPECT_EQ(store.CountByLabel(), (std::map<std::string, std::size_t>{{"Active", 200}}));
}

TEST(ObjectStore, AWatcherListsPagesIntoACompactStoreThenNamesEachKey) {
  FakeKubeClient kube;
  for (int i = 0; i < 7; ++i) {
    std::string name = "k" + std::to_string(i);
    value o = Key("ns", name, "Active");
    o["metadata"]["managedFields"] = value::array({value::string("huge")});
    kube.Put({"keyward.io/v1alpha1", "apikeys", "ns", name, ""}, o);
  }
  ObjectStore store(Compact());
  std::vector<std::string> listed;
  WatcherHandler handler;
  handler.on_list_item = [&](const std::string& key) {
    EXPECT_TRUE(store.Get(key)) << key << " named before the store holds it";
    listed.push_back(key);
  };
  WatcherConfig config;
  config.page_size = 3;
  Watcher watcher(kube, {"keyward.io/v1alpha1", "apikeys", "", "", ""}, store, handler, config);
  ASSERT_TRUE(watcher.ListOnce());
  EXPECT_EQ(listed.size(), 7u);
  EXPECT_EQ(store.CountByLabel().at("Active"), 7u);
  EXPECT_FALSE(store.Get("ns/k3")->at("metadata").has_field("managedFields"));
}

TEST(ObjectStore, ARelistNamesAnObjectMadeAgainUnderTheSameNameAsGone) {
  for (bool compact : {true, false}) {
    ObjectStore store(compact ? Compact() : StoreOptions{});
    std::vector<StoredObject> listed;
    listed.push_back(store.Keep(Key("a", "k1", "Active")));
    listed.push_back(store.Keep(Key("a", "k2", "Active")));
    store.Replace(std::move(listed));
    // k1 deleted and created again while the watch was down: same name,
    // another uid. k2 unchanged but for its status.
    value again = Key("a", "k1", "Pending");
    again["metadata"]["uid"] = value::string("u-k1-second");
    std::vector<StoredObject> relisted;
    relisted.push_back(store.Keep(again));
    relisted.push_back(store.Keep(Key("a", "k2", "Pending")));
    EXPECT_EQ(store.Replace(std::move(relisted)), std::vector<std::string>{"a/k1"}) << compact;
    EXPECT_EQ(JsonStringOr(*store.Get("a/k1"), {"metadata", "uid"}), "u-k1-second");
  }
}

TEST(ObjectStore, AWatcherRelistDeletesTheOldObjectBeforeTheNewOneIsQueued) {
  FakeKubeClient kube;
  const ResourcePath path{"keyward.io/v1alpha1", "apikeys", "ns", "k1", ""};
  kube.Put(path, Key("ns", "k1", "Active"));
  ObjectStore store(Compact());
  std::vector<std::string> events;
  WatcherHandler handler;
  handler.on_list_item = [&](const std::string& key) { events.push_back("list " + key); };
  handler.on_delete = [&](const std::string& key) { events.push_back("delete " + key); };
  Watcher watcher(kube, {"keyward.io/v1alpha1", "apikeys", "", "", ""}, store, handler, WatcherConfig{});
  ASSERT_TRUE(watcher.ListOnce());
  value again = Key("ns", "k1", "Active");
  again["metadata"]["uid"] = value::string("u-k1-second");
  kube.Put(path, again);
  ASSERT_TRUE(watcher.ListOnce());
  EXPECT_EQ(events, (std::vector<std::string>{"list ns/k1", "delete ns/k1", "list ns/k1"}));
  // The same object listed again is no delete.
  ASSERT_TRUE(watcher.ListOnce());
  EXPECT_EQ(events.back(), "list ns/k1");
  EXPECT_EQ(std::count(events.begin(), events.end(), "delete ns/k1"), 1);
}

}  // namespace
}  // namespace keyward
