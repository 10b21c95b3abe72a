#include "kube/json_fields.h"

#include <openssl/crypto.h>

namespace keyward {

using web::json::value;

namespace {

template <typename Path>
const value* Walk(const value& obj, const Path& path) {
  const value* v = &obj;
  for (std::string_view key : path) {
    if (!v->is_object()) return nullptr;
    const web::json::object& o = v->as_object();
    auto it = o.find(std::string(key));
    if (it == o.end()) return nullptr;
    v = &it->second;
  }
  return v;
}

}  // namespace

const value* JsonAt(const value& obj, JsonPath path) { return Walk(obj, path); }

const value* JsonAt(const value& obj, const std::vector<std::string>& path) { return Walk(obj, path); }

std::optional<std::string> JsonString(const value& obj, JsonPath path) {
  const value* v = JsonAt(obj, path);
  if (!v || !v->is_string()) return std::nullopt;
  return v->as_string();
}

std::optional<std::int64_t> JsonInt(const value& obj, JsonPath path) {
  const value* v = JsonAt(obj, path);
  if (!v || !v->is_number() || !v->as_number().is_int64()) return std::nullopt;
  return v->as_number().to_int64();
}

std::optional<bool> JsonBool(const value& obj, JsonPath path) {
  const value* v = JsonAt(obj, path);
  if (!v || !v->is_boolean()) return std::nullopt;
  return v->as_bool();
}

std::string JsonStringOr(const value& obj, JsonPath path, std::string fallback) {
  std::optional<std::string> s = JsonString(obj, path);
  return s ? *s : std::move(fallback);
}

const web::json::array& JsonArray(const value& obj, JsonPath path) {
  static const value* const kEmpty = new value(value::array());
  const value* v = JsonAt(obj, path);
  return v && v->is_array() ? v->as_array() : kEmpty->as_array();
}

const web::json::object* JsonObject(const value& obj, JsonPath path) {
  const value* v = JsonAt(obj, path);
  return v && v->is_object() ? &v->as_object() : nullptr;
}

void WipeJsonString(web::json::value& obj, JsonPath path) {
  const web::json::value* at = JsonAt(obj, path);
  if (!at || !at->is_string()) return;
  // as_string() is the value's own storage; the object is ours to change.
  auto& text = const_cast<utility::string_t&>(at->as_string());
  if (!text.empty()) OPENSSL_cleanse(text.data(), text.size());
}

void StripForCache(web::json::value& obj) {
  if (!obj.is_object() || !obj.has_field("metadata")) return;
  web::json::value& meta = obj.at("metadata");
  if (!meta.is_object()) return;
  // cpprestsdk's erase throws for a missing key: ask first.
  if (meta.has_field("managedFields")) meta.erase("managedFields");
  if (meta.has_field("annotations") && meta.at("annotations").is_object()) {
    web::json::value& notes = meta.at("annotations");
    const char* kLastApplied = "kubectl.kubernetes.io/last-applied-configuration";
    if (notes.has_field(kLastApplied)) notes.erase(kLastApplied);
    if (notes.size() == 0) meta.erase("annotations");
  }
}

}  // namespace keyward
