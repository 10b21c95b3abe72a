// Reads fields of Kubernetes JSON objects without throwing: a missing or
// mistyped field gives "absent" (nullptr, nullopt, empty), never an exception.
#pragma once
#include <cpprest/json.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keyward {

using JsonPath = std::initializer_list<std::string_view>;

// The value at |path| (object keys, outermost first), or nullptr.
const web::json::value* JsonAt(const web::json::value& obj, JsonPath path);
const web::json::value* JsonAt(const web::json::value& obj, const std::vector<std::string>& path);

// The string / integer / boolean at |path|, or nullopt when absent or of
// another type.
std::optional<std::string> JsonString(const web::json::value& obj, JsonPath path);
std::optional<std::int64_t> JsonInt(const web::json::value& obj, JsonPath path);
std::optional<bool> JsonBool(const web::json::value& obj, JsonPath path);

// The string at |path|, or "" when absent or not a string.
std::string JsonStringOr(const web::json::value& obj, JsonPath path, std::string fallback = "");

// The array at |path|; an empty array when absent or not an array.
const web::json::array& JsonArray(const web::json::value& obj, JsonPath path);

// The object at |path|; nullptr when absent or not an object.
const web::json::object* JsonObject(const web::json::value& obj, JsonPath path);

// Zeroes the string at |path| in place (key material in a Secret's data or
// a patch), once the object has been sent. No-op if there is none.
void WipeJsonString(web::json::value& obj, JsonPath path);

// Drops what no reader of a watch cache needs and what makes most of a
// server-side-applied object: metadata.managedFields and the
// kubectl.kubernetes.io/last-applied-configuration annotation (client-go's
// TransformStripManagedFields, plus the annotation).
void StripForCache(web::json::value& obj);

}  // namespace keyward
