#include "keys/access_rules.h"

namespace keyward {

std::optional<Scope> ParseScope(std::string_view s) {
  if (s == "cluster") return Scope::kCluster;
  if (s == "namespace") return Scope::kNamespace;
  if (s == "set") return Scope::kSet;
  if (s == "pod") return Scope::kPod;
  if (s == "container") return Scope::kContainer;
  if (s == "filter") return Scope::kFilter;
  return std::nullopt;
}

std::optional<SetType> ParseSetType(std::string_view s) {
  if (s == "replica") return SetType::kReplica;
  if (s == "stateful") return SetType::kStateful;
  if (s == "daemon") return SetType::kDaemon;
  if (s == "deployment") return SetType::kDeployment;
  return std::nullopt;
}

const char* ScopeName(Scope scope) {
  switch (scope) {
    case Scope::kCluster: return "cluster";
    case Scope::kNamespace: return "namespace";
    case Scope::kSet: return "set";
    case Scope::kPod: return "pod";
    case Scope::kContainer: return "container";
    case Scope::kFilter: return "filter";
  }
  return "unknown";
}

const char* SetTypeName(SetType type) {
  switch (type) {
    case SetType::kReplica: return "replica";
    case SetType::kStateful: return "stateful";
    case SetType::kDaemon: return "daemon";
    case SetType::kDeployment: return "deployment";
  }
  return "unknown";
}

}  // namespace keyward
