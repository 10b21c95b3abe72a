#include "kube/kube_config.h"

#include <cpprest/uri.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/base64.h"

namespace keyward {
namespace {

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Trim(std::string s) {
  auto space = [](unsigned char c) { return std::isspace(c) != 0; };
  s.erase(std::find_if_not(s.rbegin(), s.rend(), space).base(), s.end());
  s.erase(s.begin(), std::find_if_not(s.begin(), s.end(), space));
  return s;
}

std::string Str(const YAML::Node& node, const char* field) {
  return node[field] ? node[field].as<std::string>() : std::string();
}

// Finds the entry named |name| in a kubeconfig list (clusters, users,
// contexts) and returns its inner map (cluster/user/context).
std::optional<YAML::Node> FindNamed(const YAML::Node& list, const std::string& name,
                                    const char* inner) {
  if (!list || !list.IsSequence()) return std::nullopt;
  for (const auto& item : list) {
    if (Str(item, "name") == name && item[inner] && item[inner].IsMap()) return item[inner];
  }
  return std::nullopt;
}

class Loader {
 public:
  Loader(const std::string& path, std::string* error)
      : where_("kubeconfig " + path),
        dir_(std::filesystem::absolute(path).parent_path()),
        error_(error) {}

  std::optional<KubeConfig> Load(const YAML::Node& root, std::string ctx_name) {
    if (ctx_name.empty()) ctx_name = Str(root, "current-context");
    if (ctx_name.empty()) return Fail("no current-context set");
    auto ctx = FindNamed(root["contexts"], ctx_name, "context");
    if (!ctx) return Fail("context \"" + ctx_name + "\" not found");
    KubeConfig cfg;
    cfg.default_namespace = Str(*ctx, "namespace");

    const std::string cluster_name = Str(*ctx, "cluster");
    auto cluster = FindNamed(root["clusters"], cluster_name, "cluster");
    if (!cluster) {
      return Fail("cluster \"" + cluster_name + "\" (of context \"" + ctx_name + "\") not found");
    }
    const std::string where = "cluster \"" + cluster_name + "\"";
    cfg.server = Str(*cluster, "server");
    if (cfg.server.empty()) return Fail(where + " has no server");
    if (!web::uri::validate(cfg.server) || (cfg.server.rfind("https://", 0) != 0 &&
                                            cfg.server.rfind("http://", 0) != 0)) {
      return Fail(where + ": server \"" + cfg.server + "\" is not an http(s) URL");
    }
    if ((*cluster)["insecure-skip-tls-verify"]) {
      cfg.insecure_skip_tls_verify = (*cluster)["insecure-skip-tls-verify"].as<bool>();
    }
    if (!Material(*cluster, "certificate-authority", where, &cfg.ca_pem)) return std::nullopt;

    const std::string user_name = Str(*ctx, "user");
    if (user_name.empty()) return cfg;  // anonymous
    auto user = FindNamed(root["users"], user_name, "user");
    if (!user) return Fail("user \"" + user_name + "\" (of context \"" + ctx_name + "\") not found");
    const std::string uwhere = "user \"" + user_name + "\"";
    if (!Material(*user, "client-certificate", uwhere, &cfg.client_cert_pem) ||
        !Material(*user, "client-key", uwhere, &cfg.client_key_pem)) {
      return std::nullopt;
    }
    if (cfg.client_cert_pem.empty() != cfg.client_key_pem.empty()) {
      return Fail(uwhere + " needs both client-certificate and client-key");
    }
    cfg.token = Str(*user, "token");
    if ((*user)["tokenFile"]) {
      cfg.token_file = Resolve(Str(*user, "tokenFile"));
      if (!ReadFile(cfg.token_file)) return Fail(uwhere + ": cannot read tokenFile " + cfg.token_file);
    }
    return cfg;
  }

  std::nullopt_t Fail(const std::string& what) {
    *error_ = where_ + ": " + what;
    return std::nullopt;
  }

 private:
  std::string Resolve(const std::string& file) const {
    std::filesystem::path p = file;
    return (p.is_relative() ? dir_ / p : p).string();
  }

  // Reads "<field>-data" (base64) or "<field>" (a file path) into *out;
  // neither present leaves *out empty.
  bool Material(const YAML::Node& node, const std::string& field, const std::string& where,
                std::string* out) {
    if (node[field + "-data"]) {
      std::string text = node[field + "-data"].as<std::string>();
      text.erase(std::remove_if(text.begin(), text.end(),
                                [](unsigned char c) { return std::isspace(c) != 0; }),
                 text.end());
      auto decoded = Base64Decode(text);
      if (!decoded) {
        Fail(where + ": " + field + "-data is not valid base64");
        return false;
      }
      *out = std::move(*decoded);
    } else if (node[field]) {
      std::string file = Resolve(node[field].as<std::string>());
      auto content = ReadFile(file);
      if (!content) {
        Fail(where + ": cannot read " + field + " file " + file);
        return false;
      }
      *out = std::move(*content);
    }
    return true;
  }

  const std::string where_;
  const std::filesystem::path dir_;
  std::string* const error_;
};

}  // namespace

Result<KubeConfig> LoadKubeconfig(const std::string& path, const std::string& context) {
  std::string error;
  Loader loader(path, &error);
  std::optional<KubeConfig> config;
  try {
    config = loader.Load(YAML::LoadFile(path), context);
  } catch (const YAML::Exception& e) {  // unreadable file, bad YAML, or a field of the wrong type
    config = loader.Fail(e.what());
  }
  if (!config) return Status::Error(error);
  return *config;
}

Result<KubeConfig> InClusterConfig(const std::string& dir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (!host || !port || !*host || !*port) {
    return Status::Error("not running in a cluster (KUBERNETES_SERVICE_HOST/PORT unset); pass --kubeconfig");
  }
  KubeConfig cfg;
  std::string h = host;
  if (h.find(':') != std::string::npos) h = "[" + h + "]";  // IPv6
  cfg.server = "https://" + h + ":" + port;
  auto ca = ReadFile(dir + "/ca.crt");
  if (!ca) {
    return Status::Error("in-cluster: cannot read " + dir + "/ca.crt");
  }
  cfg.ca_pem = std::move(*ca);
  cfg.token_file = dir + "/token";
  if (!ReadFile(cfg.token_file)) {
    return Status::Error("in-cluster: cannot read " + cfg.token_file);
  }
  if (auto ns = ReadFile(dir + "/namespace")) cfg.default_namespace = Trim(*ns);
  return cfg;
}

}  // namespace keyward
