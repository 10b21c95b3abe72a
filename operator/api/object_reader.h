// Reads the fields of keyward's resources from API server JSON, recording
// each wrong type or unknown field with its path. Shared by every kind.
#pragma once
#include <cpprest/json.h>

#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/apikey.h"
#include "api/field_error.h"

namespace keyward {

// Reads fields of one JSON object, recording type errors under |path|.
class ObjectReader {
 public:
  ObjectReader(const web::json::value& v, std::string path, FieldErrors* errors)
      : v_(v), path_(std::move(path)), errors_(errors) {
    ok_ = v.is_object();
    if (!ok_ && !v.is_null()) Error(path_, "must be an object");
  }

  bool ok() const { return ok_; }
  std::string Path(const std::string& field) const {
    return path_.empty() ? field : path_ + "." + field;
  }
  void Error(const std::string& path, const std::string& reason) {
    errors_->push_back({path, reason});
  }

  // Reports fields not in |known| as unknown (typos like "namespace").
  void RejectUnknown(std::initializer_list<const char*> known) {
    if (!ok_) return;
    std::set<std::string> names(known.begin(), known.end());
    for (const auto& kv : v_.as_object()) {
      if (!names.count(kv.first)) Error(Path(kv.first), "unknown field");
    }
  }

  const web::json::value* Get(const std::string& field) const {
    if (!ok_ || !v_.has_field(field)) return nullptr;
    const web::json::value& f = v_.at(field);
    return f.is_null() ? nullptr : &f;
  }

  std::optional<std::string> String(const std::string& field) {
    const web::json::value* f = Get(field);
    if (!f) return std::nullopt;
    if (!f->is_string()) {
      Error(Path(field), "must be a string");
      return std::nullopt;
    }
    return f->as_string();
  }

  std::optional<bool> Bool(const std::string& field) {
    const web::json::value* f = Get(field);
    if (!f) return std::nullopt;
    if (!f->is_boolean()) {
      Error(Path(field), "must be true or false");
      return std::nullopt;
    }
    return f->as_bool();
  }

  std::optional<std::int64_t> Int(const std::string& field) {
    const web::json::value* f = Get(field);
    if (!f) return std::nullopt;
    if (!f->is_number() || !f->as_number().is_int64()) {
      Error(Path(field), "must be an integer");
      return std::nullopt;
    }
    return f->as_number().to_int64();
  }

  std::vector<std::string> StringList(const std::string& field) {
    std::vector<std::string> out;
    const web::json::value* f = Get(field);
    if (!f) return out;
    if (!f->is_array()) {
      Error(Path(field), "must be a list of strings");
      return out;
    }
    std::size_t i = 0;
    for (const web::json::value& item : f->as_array()) {
      if (item.is_string()) {
        out.push_back(item.as_string());
      } else {
        Error(Path(field) + "[" + std::to_string(i) + "]", "must be a string");
      }
      ++i;
    }
    return out;
  }

  std::map<std::string, std::string> StringMap(const std::string& field) {
    std::map<std::string, std::string> out;
    const web::json::value* f = Get(field);
    if (!f) return out;
    if (!f->is_object()) {
      Error(Path(field), "must be a map of strings");
      return out;
    }
    for (const auto& kv : f->as_object()) {
      if (kv.second.is_string()) {
        out[kv.first] = kv.second.as_string();
      } else {
        Error(Path(field) + "." + kv.first, "must be a string");
      }
    }
    return out;
  }

 private:
  const web::json::value& v_;
  std::string path_;
  FieldErrors* errors_;
  bool ok_;
};

// Pieces every kind shares (api/apikey.cpp).
AccessRule ParseRule(const web::json::value& v, const std::string& path, FieldErrors* errors);
// spec.access-like lists at |path|; indexes of rules that did not parse go
// to |unparsed|.
void ParseAccessList(const web::json::value& access, const std::string& path,
                     std::vector<AccessRule>* rules, std::vector<std::size_t>* unparsed,
                     FieldErrors* errors);
Limits ParseLimits(const web::json::value& v, const std::string& path, FieldErrors* errors);
void ParseMetadata(const web::json::value& v, ObjectMeta* m, FieldErrors* errors);
std::vector<Condition> ParseConditions(const web::json::value& v);

}  // namespace keyward
