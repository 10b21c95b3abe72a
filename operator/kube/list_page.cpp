#include "kube/list_page.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "base/json_depth.h"

namespace keyward {

namespace {

using rapidjson::Value;

const Value* Member(const Value& v, const char* name) {
  if (!v.IsObject()) return nullptr;
  auto it = v.FindMember(name);
  return it == v.MemberEnd() ? nullptr : &it->value;
}

std::string StringAt(const Value& root, const FieldPath& path) {
  const Value* v = &root;
  for (const std::string& name : path) {
    if (!(v = Member(*v, name.c_str()))) return "";
  }
  return v->IsString() ? std::string(v->GetString(), v->GetStringLength()) : "";
}

// As StripForCache (json_fields.h), on a RapidJSON item.
void Strip(Value& item) {
  if (!item.IsObject()) return;
  auto meta = item.FindMember("metadata");
  if (meta == item.MemberEnd() || !meta->value.IsObject()) return;
  meta->value.RemoveMember("managedFields");
  auto notes = meta->value.FindMember("annotations");
  if (notes == meta->value.MemberEnd() || !notes->value.IsObject()) return;
  notes->value.RemoveMember("kubectl.kubernetes.io/last-applied-configuration");
  if (notes->value.ObjectEmpty()) meta->value.RemoveMember("annotations");
}

std::string KeyOf(const Value& item) {
  std::string name = StringAt(item, {"metadata", "name"});
  std::string ns = StringAt(item, {"metadata", "namespace"});
  return ns.empty() ? name : ns + "/" + name;
}

}  // namespace

std::optional<ListPage> ParseListPage(std::string body, const std::vector<FieldPath>& fields,
                                      std::string* error) {
  if (!JsonDepthWithin(body, kMaxKubeJsonDepth)) {
    *error = "list page nests deeper than " + std::to_string(kMaxKubeJsonDepth) + " levels";
    return std::nullopt;
  }
  rapidjson::Document doc;
  // In place: item strings point into |body|, nothing is copied twice.
  doc.ParseInsitu(body.data());
  if (doc.HasParseError()) {
    *error = std::string("list page is not JSON: ") + rapidjson::GetParseError_En(doc.GetParseError()) +
             " at offset " + std::to_string(doc.GetErrorOffset());
    return std::nullopt;
  }
  Value* items = doc.IsObject() && doc.HasMember("items") ? &doc["items"] : nullptr;
  if (!items || !(items->IsArray() || items->IsNull())) {
    *error = "list page has no items array";
    return std::nullopt;
  }
  ListPage page;
  page.continue_token = StringAt(doc, {"metadata", "continue"});
  page.resource_version = StringAt(doc, {"metadata", "resourceVersion"});
  if (items->IsNull()) return page;  // an empty list may say "items": null
  page.items.reserve(items->Size());
  rapidjson::StringBuffer text;
  for (Value& item : items->GetArray()) {
    Strip(item);
    text.Clear();
    rapidjson::Writer<rapidjson::StringBuffer> writer(text);
    item.Accept(writer);
    PageItem out{KeyOf(item), std::string(text.GetString(), text.GetSize()), {}};
    out.fields.reserve(fields.size());
    for (const FieldPath& path : fields) out.fields.push_back(StringAt(item, path));
    page.items.push_back(std::move(out));
  }
  return page;
}

}  // namespace keyward
