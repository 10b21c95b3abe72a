#include "cmd/validate_command.h"

#include <cstring>
#include <iostream>

#include "api/apikey.h"
#include "api/manifest.h"
#include "api/validation.h"

namespace keyward {
namespace {

std::string DocumentName(const ManifestDocument& doc) {
  const auto& obj = doc.object;
  if (obj.is_object() && obj.has_field("metadata") && obj.at("metadata").is_object()) {
    const auto& meta = obj.at("metadata");
    if (meta.has_field("name") && meta.at("name").is_string()) {
      std::string name = meta.at("name").as_string();
      if (meta.has_field("namespace") && meta.at("namespace").is_string()) {
        name = meta.at("namespace").as_string() + "/" + name;
      }
      return name;
    }
  }
  return doc.file + "#" + std::to_string(doc.index);
}

bool IsApiKeyDocument(const web::json::value& obj) {
  if (!obj.is_object() || !obj.has_field("kind")) return true;  // let validation say why
  const auto& kind = obj.at("kind");
  return !kind.is_string() || kind.as_string() == kKind;
}

void PrintUsage(std::ostream& out) {
  out << "Usage: keyward validate -f FILE|DIR|- [-f ...]\n\n"
         "Checks ApiKey manifests (multi-document YAML or JSON) offline, with the\n"
         "same rules as the admission webhook. Prints one line per problem:\n"
         "  <doc name>: <field path>: <reason>\n"
         "and exits 1 if any ApiKey is invalid. Documents of other kinds are skipped.\n";
}

}  // namespace

int ValidateManifests(const std::vector<std::string>& paths, TimePoint now, std::ostream& out,
                      std::ostream& err) {
  int checked = 0, invalid = 0, skipped = 0, files = 0;
  bool unreadable = false;
  for (const std::string& path : paths) {
    ManifestLoad load = LoadManifests(path);
    files += load.files;
    for (const std::string& e : load.errors) {
      out << e << "\n";
      unreadable = true;
    }
    for (const ManifestDocument& doc : load.documents) {
      if (!IsApiKeyDocument(doc.object)) {
        ++skipped;
        continue;
      }
      ++checked;
      FieldErrors errors = CheckApiKeyObject(doc.object, now, /*creating=*/true);
      if (!errors.empty()) ++invalid;
      for (const FieldError& e : errors) out << DocumentName(doc) << ": " << e.String() << "\n";
    }
  }
  err << "checked " << checked << " ApiKey" << (checked == 1 ? "" : "s") << " in " << files
      << " file" << (files == 1 ? "" : "s") << ": " << invalid << " invalid";
  if (skipped) err << ", " << skipped << " other document" << (skipped == 1 ? "" : "s") << " skipped";
  err << "\n";
  if (checked == 0 && !unreadable) {
    err << "no ApiKey documents found\n";
    return 1;
  }
  return invalid == 0 && !unreadable ? 0 : 1;
}

int RunValidateCommand(int argc, char** argv) {
  std::vector<std::string> paths;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      PrintUsage(std::cout);
      return 0;
    }
    if ((arg == "-f" || arg == "--filename") && i + 1 < argc) {
      paths.push_back(argv[++i]);
    } else if (arg.rfind("--filename=", 0) == 0) {
      paths.push_back(arg.substr(std::strlen("--filename=")));
    } else {
      std::cerr << "keyward validate: unexpected argument \"" << arg << "\"\n";
      PrintUsage(std::cerr);
      return 2;
    }
  }
  if (paths.empty()) {
    std::cerr << "keyward validate: -f FILE|DIR|- is required\n";
    PrintUsage(std::cerr);
    return 2;
  }
  return ValidateManifests(paths, Clock::now(), std::cout, std::cerr);
}

}  // namespace keyward
