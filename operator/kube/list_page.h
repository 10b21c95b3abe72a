// One page of a list, read from its JSON text in one pass (RapidJSON, in
// place): each item stripped for the cache and written back as compact text.
// For compact stores, which keep text: no JSON tree is built for a page.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keyward {

// A string field of an item, by object keys from the root ({"status", "phase"}).
using FieldPath = std::vector<std::string>;

struct PageItem {
  std::string key;   // "namespace/name", as ObjectKey()
  std::string text;  // the item without managedFields and last-applied (StripForCache)
  std::vector<std::string> fields;  // the string at each FieldPath asked for; "" if none
};

struct ListPage {
  std::vector<PageItem> items;
  std::string continue_token;
  std::string resource_version;
};

// The items of |body| (a List: {"metadata":{...},"items":[...]}), with
// |fields| read from each. nullopt if |body| is not such a list; |error|
// then says why.
std::optional<ListPage> ParseListPage(std::string body, const std::vector<FieldPath>& fields,
                                      std::string* error);

}  // namespace keyward
