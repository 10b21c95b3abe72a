// ParseListPage: a page's items come out stripped for the cache, keyed and
// labelled as a tree would be; a body that is not a list says why.
#include "kube/list_page.h"

#include <cpprest/json.h>
#include <gtest/gtest.h>

#include "kube/json_fields.h"
#include "kube/object_store.h"

namespace keyward {
namespace {

const char* kPage = R"({"apiVersion":"keyward.io/v1alpha1","kind":"ApiKeyList",)"
    R"("items":[{"metadata":{"name":"a","namespace":"ns","managedFields":[{"manager":"kubectl"}],)"
    R"("annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"big\":1}"}},)"
    R"("spec":{"type":"permanent","description":"caf\u00e9 \"quoted\""},"status":{"phase":"Active"}},)"
    R"({"metadata":{"name":"b","namespace":"ns","annotations":{"team":"x",)"
    R"("kubectl.kubernetes.io/last-applied-configuration":"{}"}},"spec":{"type":"volatile"}},)"
    R"({"metadata":{"name":"cluster-wide"}}],)"
    R"("metadata":{"continue":"token-1","resourceVersion":"42"}})";

TEST(ListPage, ItemsComeOutStrippedKeyedAndWithTheirFields) {
  std::string error;
  auto page = ParseListPage(kPage, {{"spec", "type"}, {"status", "phase"}}, &error);
  ASSERT_TRUE(page) << error;
  EXPECT_EQ(page->continue_token, "token-1");
  EXPECT_EQ(page->resource_version, "42");
  ASSERT_EQ(page->items.size(), 3u);
  EXPECT_EQ(page->items[0].key, "ns/a");
  EXPECT_EQ(page->items[2].key, "cluster-wide");
  EXPECT_EQ(page->items[0].fields, (std::vector<std::string>{"permanent", "Active"}));
  EXPECT_EQ(page->items[1].fields, (std::vector<std::string>{"volatile", ""}));

  // The text is what StripForCache leaves of the item's tree.
  web::json::value tree = web::json::value::parse(kPage).at("items").at(0);
  StripForCache(tree);
  EXPECT_EQ(web::json::value::parse(page->items[0].text), tree);
  EXPECT_EQ(JsonStringOr(web::json::value::parse(page->items[0].text), {"spec", "description"}),
            "caf\u00e9 \"quoted\"");
  // Other annotations stay; an annotations object left empty goes.
  web::json::value b = web::json::value::parse(page->items[1].text);
  EXPECT_EQ(JsonStringOr(b, {"metadata", "annotations", "team"}), "x");
  EXPECT_FALSE(JsonAt(b, {"metadata", "annotations", "kubectl.kubernetes.io/last-applied-configuration"}));
  EXPECT_FALSE(JsonAt(web::json::value::parse(page->items[0].text), {"metadata", "annotations"}));
}

TEST(ListPage, AnEmptyListHasNoItemsAndNoContinue) {
  std::string error;
  auto page = ParseListPage(R"({"items":null,"metadata":{"resourceVersion":"7"}})", {}, &error);
  ASSERT_TRUE(page) << error;
  EXPECT_TRUE(page->items.empty());
  EXPECT_EQ(page->continue_token, "");
  EXPECT_EQ(page->resource_version, "7");
}

TEST(ListPage, ABodyThatIsNotAListSaysWhy) {
  std::string error;
  EXPECT_FALSE(ParseListPage("<html>proxy error</html>", {}, &error));
  EXPECT_NE(error.find("not JSON"), std::string::npos) << error;
  EXPECT_FALSE(ParseListPage(R"({"kind":"Status","code":500})", {}, &error));
  EXPECT_EQ(error, "list page has no items array");
  EXPECT_FALSE(ParseListPage(R"({"items":[{"metadata":)", {}, &error));
}

TEST(ListPage, ACompactStoreKeepsAPageItemAsItKeepsATree) {
  StoreOptions options;
  options.compact = true;
  options.label_fields = {{"status", "phase"}};
  options.label = [](const std::vector<std::string>& f) { return f.at(0); };
  ObjectStore store(options);
  std::string error;
  auto page = ParseListPage(kPage, store.list_fields(), &error);
  ASSERT_TRUE(page) << error;
  std::vector<StoredObject> kept;
  for (PageItem& item : page->items) kept.push_back(store.KeepText(std::move(item)));
  store.Replace(std::move(kept));
  EXPECT_EQ(store.CountByLabel(), (std::map<std::string, std::size_t>{{"Active", 1}, {"", 2}}));
  EXPECT_EQ(JsonStringOr(*store.Get("ns/b"), {"spec", "type"}), "volatile");
}

}  // namespace
}  // namespace keyward
