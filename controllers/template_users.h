// Which ApiKeys use which template, as the ApiKey controller last saw them:
// a template change wakes only its keys, and a template counts its keys.
#pragma once
#include <cstddef>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/apikey.h"

namespace keyward {

// "ApiKeyTemplate/<ns>/<name>" or "ClusterApiKeyTemplate/<name>": |ref| as
// named by an ApiKey in namespace |ns|.
std::string TemplateId(const TemplateRef& ref, const std::string& ns);

// Thread-safe.
class TemplateUsers {
 public:
  // ApiKey |apikey| ("namespace/name") uses |template_id| now ("" = none,
  // or the key is gone). Returns the ids whose count changed.
  std::vector<std::string> Set(const std::string& apikey, const std::string& template_id);
  // The ApiKeys ("namespace/name") that use |template_id|.
  std::vector<std::string> UsersOf(const std::string& template_id) const;
  std::size_t CountOf(const std::string& template_id) const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::string> template_of_;          // guarded by mu_
  std::unordered_map<std::string, std::set<std::string>> users_;      // guarded by mu_
};

}  // namespace keyward
