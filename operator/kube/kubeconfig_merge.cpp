#include "kube/kubeconfig_merge.h"

#include <system_error>
#include <tuple>

namespace keyward {
namespace {

namespace fs = std::filesystem;

std::string Str(const YAML::Node& node, const char* field) {
  return node[field] && node[field].IsScalar() ? node[field].as<std::string>() : std::string();
}

// Adds the entries of one list (clusters, users or contexts) that no
// earlier file named: the first file to name an entry keeps all of it.
Status MergeList(const YAML::Node& root, const char* list_name, const char* inner,
                 const std::string& file, const fs::path& dir,
                 std::map<std::string, KubeconfigEntry>* out) {
  const YAML::Node list = root[list_name];
  if (!list || list.IsNull()) return Status();
  if (!list.IsSequence()) return Status::Error(std::string(list_name) + " is not a list");
  for (const auto& item : list) {
    const std::string name = Str(item, "name");
    if (name.empty()) return Status::Error(std::string(list_name) + " has an entry without a name");
    const YAML::Node body = item[inner];
    if (body && !body.IsMap() && !body.IsNull()) {
      return Status::Error(std::string(list_name) + " entry \"" + name + "\": " + inner + " is not a map");
    }
    if (out->count(name)) continue;
    out->emplace(name, KubeconfigEntry{body && body.IsMap() ? body : YAML::Node(YAML::NodeType::Map),
                                       file, dir});
  }
  return Status();
}

}  // namespace

std::vector<std::string> KubeconfigFiles(const std::string& flag,
                                         const std::optional<std::string>& kubeconfig_var,
                                         const std::string& home, bool* explicit_file) {
  *explicit_file = !flag.empty();
  if (!flag.empty()) return {flag};
  std::vector<std::string> files;
  if (kubeconfig_var && !kubeconfig_var->empty()) {
    std::string::size_type start = 0;
    while (start <= kubeconfig_var->size()) {
      std::string::size_type end = kubeconfig_var->find(':', start);
      if (end == std::string::npos) end = kubeconfig_var->size();
      std::string entry = kubeconfig_var->substr(start, end - start);
      if (!entry.empty()) files.push_back(entry);
      start = end + 1;
    }
    return files;
  }
  if (!home.empty()) files.push_back(home + "/.kube/config");
  return files;
}

Result<MergedKubeconfig> MergeKubeconfigFiles(const std::vector<std::string>& files, bool explicit_file) {
  MergedKubeconfig merged;
  for (const std::string& file : files) {
    std::error_code ec;
    if (!fs::exists(file, ec)) {
      if (explicit_file) return Status::Error("kubeconfig " + file + " does not exist");
      continue;  // client-go skips a missing file in the list
    }
    YAML::Node root;
    try {
      root = YAML::LoadFile(file);
    } catch (const YAML::Exception& e) {
      return Status::Error("kubeconfig " + file + ": " + e.what());
    }
    if (root.IsNull()) {  // an empty file adds nothing
      merged.files.push_back(file);
      continue;
    }
    if (!root.IsMap()) return Status::Error("kubeconfig " + file + ": not a kubeconfig (not a map)");
    const fs::path dir = fs::absolute(file, ec).parent_path();
    for (auto [list, inner, out] : {std::tuple{"clusters", "cluster", &merged.clusters},
                                    std::tuple{"users", "user", &merged.users},
                                    std::tuple{"contexts", "context", &merged.contexts}}) {
      if (Status s = MergeList(root, list, inner, file, dir, out); !s.ok()) {
        return Status::Error("kubeconfig " + file + ": " + s.message());
      }
    }
    if (merged.current_context.empty()) {
      merged.current_context = Str(root, "current-context");
      if (!merged.current_context.empty()) merged.current_context_file = file;
    }
    merged.files.push_back(file);
  }
  return merged;
}

}  // namespace keyward
