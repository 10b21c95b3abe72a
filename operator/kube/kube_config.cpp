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
#include "kube/kubeconfig_merge.h"

namespace keyward {
namespace {

namespace fs = std::filesystem;

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

std::string Resolve(const fs::path& dir, const std::string& file) {
  fs::path p = file;
  return (p.is_relative() ? dir / p : p).string();
}

bool HasControl(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return c < ' ' || c == 0x7f; });
}

bool IsHttpUrl(const std::string& url) {
  return web::uri::validate(url) && (url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0);
}

// Builds a KubeConfig from the merged files; the first failure is kept in
// |error_| as a sentence naming the entry and its file.
class Selector {
 public:
  explicit Selector(const MergedKubeconfig& merged) : merged_(merged) {}

  std::optional<KubeConfig> Select(const KubeconfigFlags& flags) {
    const std::string ctx_name = flags.context.empty() ? merged_.current_context : flags.context;
    KubeConfig cfg;
    YAML::Node ctx(YAML::NodeType::Map);
    if (!ctx_name.empty()) {
      auto it = merged_.contexts.find(ctx_name);
      if (it == merged_.contexts.end()) {
        return Fail("context \"" + ctx_name + "\" not found in " + Files() +
                    (flags.context.empty() ? " (it is the current-context of " + merged_.current_context_file + ")"
                                           : ""));
      }
      ctx = it->second.body;
    } else if (flags.cluster.empty()) {
      return Fail(Files() + " set no current-context: pass --context");
    }
    cfg.source = "kubeconfig " + Files() + (ctx_name.empty() ? "" : ", context \"" + ctx_name + "\"");
    cfg.default_namespace = flags.namespace_name.empty() ? Str(ctx, "namespace") : flags.namespace_name;
    if (cfg.default_namespace.empty()) cfg.default_namespace = "default";
    cfg.as_user = flags.as;
    if (flags.as_groups.size() > 1) {
      return Fail("--as-group was given " + std::to_string(flags.as_groups.size()) +
                  " times; keyward sends one Impersonate-Group (its HTTP client joins repeated headers)");
    }
    if (!flags.as_groups.empty()) cfg.as_group = flags.as_groups.front();
    if (!cfg.as_group.empty() && cfg.as_user.empty()) return Fail("--as-group needs --as");
    // These become header values: a CR or LF would add headers of its own.
    for (const auto& [what, value] : {std::pair<const char*, const std::string*>{"--as", &cfg.as_user},
                                      {"--as-group", &cfg.as_group}}) {
      if (HasControl(*value)) return Fail(std::string(what) + " holds a control character");
    }

    const std::string cluster_name = flags.cluster.empty() ? Str(ctx, "cluster") : flags.cluster;
    if (cluster_name.empty()) return Fail("context \"" + ctx_name + "\" names no cluster");
    auto cluster = merged_.clusters.find(cluster_name);
    if (cluster == merged_.clusters.end()) {
      return Fail("cluster \"" + cluster_name + "\" not found in " + Files());
    }
    if (!Cluster(cluster_name, cluster->second, &cfg)) return std::nullopt;

    const std::string user_name = flags.user.empty() ? Str(ctx, "user") : flags.user;
    if (user_name.empty()) return cfg;  // anonymous
    auto user = merged_.users.find(user_name);
    if (user == merged_.users.end()) return Fail("user \"" + user_name + "\" not found in " + Files());
    if (!User(user_name, user->second, &cfg)) return std::nullopt;
    return cfg;
  }

  std::nullopt_t Fail(const std::string& what) {
    error_ = what;
    return std::nullopt;
  }
  bool Bad(const std::string& what) {
    error_ = what;
    return false;
  }
  const std::string& error() const { return error_; }

  // The files read, as $KUBECONFIG lists them.
  std::string Files() const {
    std::string out;
    for (const auto& f : merged_.files) out += (out.empty() ? "" : ":") + f;
    return out.empty() ? "(no kubeconfig file)" : out;
  }

 private:

  bool Cluster(const std::string& name, const KubeconfigEntry& e, KubeConfig* cfg) {
    const std::string where = "cluster \"" + name + "\" (" + e.file + ")";
    cfg->server = Str(e.body, "server");
    if (cfg->server.empty()) return Bad(where + " has no server");
    if (!IsHttpUrl(cfg->server)) {
      return Bad(where + ": server \"" + cfg->server + "\" is not an http(s) URL");
    }
    if (e.body["insecure-skip-tls-verify"]) {
      cfg->insecure_skip_tls_verify = e.body["insecure-skip-tls-verify"].as<bool>();
    }
    cfg->tls_server_name = Str(e.body, "tls-server-name");
    if (HasControl(cfg->tls_server_name)) return Bad(where + ": tls-server-name holds a control character");
    cfg->proxy_url = Str(e.body, "proxy-url");
    if (!cfg->proxy_url.empty() && (cfg->proxy_url.rfind("http://", 0) != 0 || !IsHttpUrl(cfg->proxy_url))) {
      return Bad(where + ": proxy-url \"" + cfg->proxy_url +
                  "\" is not supported: keyward's HTTP client (cpprestsdk) speaks only to http:// proxies");
    }
    return Material(e, "certificate-authority", where, &cfg->ca_pem);
  }

  bool User(const std::string& name, const KubeconfigEntry& e, KubeConfig* cfg) {
    const std::string where = "user \"" + name + "\" (" + e.file + ")";
    if (!Material(e, "client-certificate", where, &cfg->client_cert_pem) ||
        !Material(e, "client-key", where, &cfg->client_key_pem)) {
      return false;
    }
    if (cfg->client_cert_pem.empty() != cfg->client_key_pem.empty()) {
      return Bad(where + " needs both client-certificate and client-key");
    }
    cfg->token = Str(e.body, "token");
    if (e.body["tokenFile"]) {
      cfg->token_file = Resolve(e.dir, Str(e.body, "tokenFile"));
      if (!ReadFile(cfg->token_file)) return Bad(where + ": cannot read tokenFile " + cfg->token_file);
    }
    if (e.body["auth-provider"]) {
      return Bad(where + " uses auth-provider, which kubectl removed; use an exec credential plugin");
    }
    if (e.body["username"] || e.body["password"]) {
      return Bad(where + " uses basic auth (username/password), which Kubernetes no longer accepts");
    }
    if (e.body["as"] && cfg->as_user.empty()) cfg->as_user = Str(e.body, "as");
    if (HasControl(cfg->as_user) || HasControl(cfg->token)) {
      return Bad(where + ": as or token holds a control character");
    }
    if (e.body["exec"]) return Exec(name, e, where, cfg);
    return true;
  }

  bool Exec(const std::string& name, const KubeconfigEntry& e, const std::string& where, KubeConfig* cfg) {
    const YAML::Node x = e.body["exec"];
    ExecConfig exec;
    exec.user_name = name;
    exec.api_version = Str(x, "apiVersion");
    if (exec.api_version != "client.authentication.k8s.io/v1" &&
        exec.api_version != "client.authentication.k8s.io/v1beta1") {
      return Bad(where + ": exec apiVersion \"" + exec.api_version +
                  "\" is not client.authentication.k8s.io/v1 or /v1beta1");
    }
    exec.command = Str(x, "command");
    if (exec.command.empty()) return Bad(where + ": exec has no command");
    // client-go: a relative path with a separator is relative to the file.
    if (exec.command.find('/') != std::string::npos) exec.command = Resolve(e.dir, exec.command);
    if (x["args"]) {
      for (const auto& a : x["args"]) exec.args.push_back(a.as<std::string>());
    }
    if (x["env"]) {
      for (const auto& v : x["env"]) {
        if (Str(v, "name").empty()) return Bad(where + ": an exec env entry has no name");
        exec.env.emplace_back(Str(v, "name"), Str(v, "value"));
      }
    }
    exec.interactive_mode = Str(x, "interactiveMode");
    if (exec.interactive_mode.empty()) {
      if (exec.api_version == "client.authentication.k8s.io/v1") {
        return Bad(where + ": exec interactiveMode is required for client.authentication.k8s.io/v1 "
                            "(Never, IfAvailable or Always)");
      }
      exec.interactive_mode = "IfAvailable";
    }
    if (exec.interactive_mode != "Never" && exec.interactive_mode != "IfAvailable" &&
        exec.interactive_mode != "Always") {
      return Bad(where + ": exec interactiveMode \"" + exec.interactive_mode +
                  "\" is not Never, IfAvailable or Always");
    }
    if (x["provideClusterInfo"]) exec.provide_cluster_info = x["provideClusterInfo"].as<bool>();
    exec.install_hint = Str(x, "installHint");
    cfg->exec = std::move(exec);
    return true;
  }

  // Reads "<field>-data" (base64) or "<field>" (a file path) into *out;
  // neither present leaves *out empty.
  bool Material(const KubeconfigEntry& e, const std::string& field, const std::string& where,
                std::string* out) {
    if (e.body[field + "-data"]) {
      std::string text = e.body[field + "-data"].as<std::string>();
      text.erase(std::remove_if(text.begin(), text.end(),
                                [](unsigned char c) { return std::isspace(c) != 0; }),
                 text.end());
      auto decoded = Base64Decode(text);
      if (!decoded) return Bad(where + ": " + field + "-data is not valid base64");
      *out = std::move(*decoded);
    } else if (e.body[field]) {
      std::string file = Resolve(e.dir, e.body[field].as<std::string>());
      auto content = ReadFile(file);
      if (!content) return Bad(where + ": cannot read " + field + " file " + file);
      *out = std::move(*content);
    }
    return true;
  }

  const MergedKubeconfig& merged_;
  std::string error_;
};

}  // namespace

KubeconfigEnvironment KubeconfigEnvironment::FromProcess() {
  KubeconfigEnvironment env;
  if (const char* v = std::getenv("KUBECONFIG")) env.kubeconfig_var = v;
  if (const char* h = std::getenv("HOME")) env.home = h;
  env.service_account_dir = kServiceAccountDir;
  return env;
}

Result<KubeConfig> LoadClientConfig(const KubeconfigFlags& flags, const KubeconfigEnvironment& env) {
  bool explicit_file = false;
  auto files = KubeconfigFiles(flags.kubeconfig, env.kubeconfig_var, env.home, &explicit_file);
  Result<MergedKubeconfig> merged = MergeKubeconfigFiles(files, explicit_file);
  if (!merged.ok()) return merged.status();
  if (merged->files.empty()) {
    Result<KubeConfig> in_cluster = InClusterConfig(env.service_account_dir);
    if (!in_cluster.ok()) {
      return Status::Error("no kubeconfig found (--kubeconfig, $KUBECONFIG and ~/.kube/config) and " +
                           in_cluster.error());
    }
    if (!flags.namespace_name.empty()) in_cluster->default_namespace = flags.namespace_name;
    in_cluster->as_user = flags.as;
    if (!flags.as_groups.empty()) in_cluster->as_group = flags.as_groups.front();
    return in_cluster;
  }
  Selector selector(*merged);
  std::optional<KubeConfig> config;
  try {
    config = selector.Select(flags);
  } catch (const YAML::Exception& e) {  // a field of the wrong type
    config = selector.Fail("kubeconfig " + selector.Files() + ": " + std::string(e.what()));
  }
  if (!config) return Status::Error(selector.error());
  return *config;
}

Result<KubeConfig> LoadKubeconfig(const std::string& path, const std::string& context) {
  KubeconfigFlags flags;
  flags.kubeconfig = path;
  flags.context = context;
  KubeconfigEnvironment env;
  return LoadClientConfig(flags, env);
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
  cfg.source = "in-cluster service account";
  return cfg;
}

}  // namespace keyward
