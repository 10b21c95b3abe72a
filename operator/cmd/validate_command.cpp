#include "cmd/validate_command.h"

#include <cstring>
#include <iostream>

#include "api/apikey.h"
#include "api/apikey_request.h"
#include "api/apikey_template.h"
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

// The errors of a keyward object (ApiKey, either template kind,
// ApiKeyRequest); nullopt for documents of other kinds.
std::optional<FieldErrors> CheckDocument(const web::json::value& obj, TimePoint now) {
  std::string kind = kKind;  // no kind: let ApiKey validation say why
  if (obj.is_object() && obj.has_field("kind") && obj.at("kind").is_string()) kind = obj.at("kind").as_string();
  if (kind == kKind) return CheckApiKeyObject(obj, now, /*creating=*/true);
  if (kind == kTemplateKind || kind == kClusterTemplateKind) return CheckApiKeyTemplateObject(obj);
  if (kind == kRequestKind) {
    FieldErrors errors;
    ApiKeyRequest req = ParseApiKeyRequest(obj, &errors);
    if (!req.lifetime.empty() && !IsLifetime(req.lifetime)) {
      errors.push_back({"spec.lifetime", "\"" + req.lifetime + "\" is not a lifetime: never, or a whole "
                                         "number of s, m, h, d, w or y (e.g. 30d)"});
    }
    return errors;
  }
  return std::nullopt;
}

void PrintUsage(std::ostream& out) {
  out << "Usage: keyward validate -f FILE|DIR|- [-f ...]\n\n"
         "Checks ApiKey, ApiKeyTemplate, ClusterApiKeyTemplate and ApiKeyRequest\n"
         "manifests (multi-document YAML or JSON) offline, with the admission\n"
         "webhook's field rules (not those that need the cluster: a request's\n"
         "template and lifetime, escalation). Prints one line per problem:\n"
         "  <doc name>: <field path>: <reason>\n"
         "and exits 1 if any is invalid. Documents of other kinds are skipped.\n";
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
      std::optional<FieldErrors> checked_errors = CheckDocument(doc.object, now);
      if (!checked_errors) {
        ++skipped;
        continue;
      }
      ++checked;
      const FieldErrors& errors = *checked_errors;
      if (!errors.empty()) ++invalid;
      for (const FieldError& e : errors) out << DocumentName(doc) << ": " << e.String() << "\n";
    }
  }
  err << "checked " << checked << " keyward object" << (checked == 1 ? "" : "s") << " in " << files
      << " file" << (files == 1 ? "" : "s") << ": " << invalid << " invalid";
  if (skipped) err << ", " << skipped << " other document" << (skipped == 1 ? "" : "s") << " skipped";
  err << "\n";
  if (checked == 0 && !unreadable) {
    err << "no keyward documents found (ApiKey, ApiKeyTemplate, ClusterApiKeyTemplate, ApiKeyRequest)\n";
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
