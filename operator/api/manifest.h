// Reading Kubernetes manifests: multi-document YAML (or JSON) from files,
// directories or stdin, converted to JSON values. Not thread-safe per call.
#pragma once
#include <cpprest/json.h>
#include <yaml-cpp/yaml.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace keyward {

struct ManifestDocument {
  std::string file;  // path, or "-" for stdin
  int index = 0;     // 0-based document number within the file
  web::json::value object;
};

struct ManifestLoad {
  std::vector<ManifestDocument> documents;
  std::vector<std::string> errors;  // "file: line L: reason" for unreadable input
  int files = 0;
};

// Thrown by YamlToJson for a document nested deeper than 64 levels or
// expanding (through aliases) to more than 100,000 values.
class ManifestTooComplex : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Converts a YAML node to JSON with YAML 1.2 core-schema scalar resolution:
// quoted scalars stay strings; plain ones become null/bool/int/float when
// they look like one.
web::json::value YamlToJson(const YAML::Node& node);

// Parses every document in |text|; empty documents are skipped.
void ParseManifestText(const std::string& text, const std::string& file, ManifestLoad* out);

// Loads |path|: a file, "-" (stdin), or a directory (its *.yaml, *.yml and
// *.json files, sorted, not recursive).
ManifestLoad LoadManifests(const std::string& path);

}  // namespace keyward
