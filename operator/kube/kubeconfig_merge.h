// Which kubeconfig files apply and how they merge, by client-go's rules:
// the first file to name a cluster, user or context keeps it whole.
#pragma once
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace keyward {

// A named entry (cluster, user or context) and the file it came from;
// relative paths in it resolve against that file's folder.
struct KubeconfigEntry {
  YAML::Node body;  // the inner map: cluster:, user: or context:
  std::string file;
  std::filesystem::path dir;
};

struct MergedKubeconfig {
  std::map<std::string, KubeconfigEntry> clusters, users, contexts;
  std::string current_context;
  std::string current_context_file;
  std::vector<std::string> files;  // the files read, in order
};

// The files to read, in order: |flag| alone, else $KUBECONFIG's entries
// (empty ones dropped), else |home|/.kube/config. |explicit_file| is set when
// the flag named it (then a missing file is an error, not skipped).
std::vector<std::string> KubeconfigFiles(const std::string& flag,
                                         const std::optional<std::string>& kubeconfig_var,
                                         const std::string& home, bool* explicit_file);

// Reads and merges |files|. A missing file is skipped unless |explicit_file|;
// a file that is not a kubeconfig is an error naming it.
Result<MergedKubeconfig> MergeKubeconfigFiles(const std::vector<std::string>& files, bool explicit_file);

}  // namespace keyward
