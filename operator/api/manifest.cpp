#include "api/manifest.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace keyward {

using web::json::value;

namespace {

value ResolvePlainScalar(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return value::null();
  if (s == "true" || s == "True" || s == "TRUE") return value::boolean(true);
  if (s == "false" || s == "False" || s == "FALSE") return value::boolean(false);
  const char* begin = s.c_str();
  char* end = nullptr;
  bool intlike = std::all_of(s.begin() + (s[0] == '-' || s[0] == '+'), s.end(),
                             [](char c) { return c >= '0' && c <= '9'; }) &&
                 s.size() > static_cast<std::size_t>(s[0] == '-' || s[0] == '+');
  if (intlike) {
    errno = 0;
    long long v = std::strtoll(begin, &end, 10);
    if (errno == 0 && *end == '\0') return value::number(static_cast<int64_t>(v));
  }
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
    errno = 0;
    long long v = std::strtoll(begin + 2, &end, s[1] == 'x' ? 16 : 8);
    if (errno == 0 && *end == '\0') return value::number(static_cast<int64_t>(v));
  }
  bool floatlike = s.find_first_not_of("0123456789+-.eE") == std::string::npos &&
                   s.find_first_of("0123456789") != std::string::npos;
  if (floatlike) {
    errno = 0;
    double d = std::strtod(begin, &end);
    if (errno == 0 && *end == '\0') return value::number(d);
  }
  return value::string(s);
}

// Bounds on one document: far above any ApiKey (depth ~6, a few hundred
// nodes), low enough that hostile input (deep nesting, alias bombs) cannot
// exhaust the stack or memory.
constexpr int kMaxDepth = 64;
constexpr std::size_t kMaxNodes = 100000;

struct Budget {
  std::size_t nodes = 0;
};

value Convert(const YAML::Node& node, int depth, Budget* budget) {
  if (depth > kMaxDepth) {
    throw ManifestTooComplex("nested deeper than " + std::to_string(kMaxDepth) + " levels");
  }
  if (++budget->nodes > kMaxNodes) {
    throw ManifestTooComplex("more than " + std::to_string(kMaxNodes) +
                             " values once aliases are expanded");
  }
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return value::null();
    case YAML::NodeType::Scalar: {
      const std::string& tag = node.Tag();
      if (tag == "!" || tag == "tag:yaml.org,2002:str") return value::string(node.Scalar());
      return ResolvePlainScalar(node.Scalar());
    }
    case YAML::NodeType::Sequence: {
      value arr = value::array(node.size());
      std::size_t i = 0;
      for (const auto& item : node) arr[i++] = Convert(item, depth + 1, budget);
      return arr;
    }
    case YAML::NodeType::Map: {
      value obj = value::object();
      for (const auto& kv : node) {
        obj[kv.first.as<std::string>()] = Convert(kv.second, depth + 1, budget);
      }
      return obj;
    }
  }
  return value::null();
}

}  // namespace

value YamlToJson(const YAML::Node& node) {
  Budget budget;
  return Convert(node, 0, &budget);
}

void ParseManifestText(const std::string& text, const std::string& file, ManifestLoad* out) {
  ++out->files;
  int index = 0;
  try {
    std::vector<YAML::Node> docs = YAML::LoadAll(text);
    for (const YAML::Node& doc : docs) {
      if (doc.IsNull() || !doc.IsDefined()) {
        ++index;
        continue;
      }
      out->documents.push_back({file, index, YamlToJson(doc)});
      ++index;
    }
  } catch (const YAML::Exception& e) {
    out->errors.push_back(file + ": line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  } catch (const ManifestTooComplex& e) {
    out->errors.push_back(file + ": document " + std::to_string(index + 1) + ": " + e.what());
  }
}

ManifestLoad LoadManifests(const std::string& path) {
  namespace fs = std::filesystem;
  ManifestLoad out;
  auto read_file = [&](const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) {
      out.errors.push_back(p + ": cannot read file");
      return;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    ParseManifestText(ss.str(), p, &out);
  };
  if (path == "-") {
    std::stringstream ss;
    ss << std::cin.rdbuf();
    ParseManifestText(ss.str(), "-", &out);
    return out;
  }
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      if (!entry.is_regular_file()) continue;
      std::string ext = entry.path().extension().string();
      if (ext == ".yaml" || ext == ".yml" || ext == ".json") files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) out.errors.push_back(path + ": no *.yaml, *.yml or *.json files");
    for (const auto& f : files) read_file(f);
  } else if (fs::exists(path, ec)) {
    read_file(path);
  } else {
    out.errors.push_back(path + ": no such file or directory");
  }
  return out;
}

}  // namespace keyward
