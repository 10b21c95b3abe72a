// How to reach the API server, found as kubectl finds it: --kubeconfig, then
// $KUBECONFIG (merged), then ~/.kube/config, then the pod's service account.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace keyward {

// A user's `exec` credential plugin (client.authentication.k8s.io v1 or
// v1beta1); run by ExecCredentials (kube/exec_credentials.h).
struct ExecConfig {
  std::string api_version;        // client.authentication.k8s.io/v1 or /v1beta1
  std::string command;            // a relative path with a '/' is resolved against the kubeconfig's folder
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string interactive_mode;   // Never, IfAvailable or Always
  bool provide_cluster_info = false;
  std::string install_hint;
  std::string user_name;          // the kubeconfig user, for errors
};

struct KubeConfig {
  std::string server;           // https://host:port
  std::string ca_pem;           // trusted CA bundle (the only roots trusted); empty = system roots
  std::string client_cert_pem;  // client certificate chain (mTLS), optional
  std::string client_key_pem;
  std::string token;            // static bearer token, optional
  std::string token_file;       // bearer token re-read when it changes (bound SA tokens);
                                // while readable it wins over |token|
  std::optional<ExecConfig> exec;  // a credential plugin gives the token or certificate
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;  // the name the server's certificate is checked against (and SNI)
  std::string proxy_url;        // http:// proxy (CONNECT for https); "" = none
  std::string as_user;          // impersonation: Impersonate-User
  std::string as_group;         // Impersonate-Group (one: cpprestsdk sends one value per header)
  std::string default_namespace;
  std::string source;           // where it came from, for messages: "kubeconfig F, context C"
};

// kubectl's connection flags. Empty means "not given".
struct KubeconfigFlags {
  std::string kubeconfig;  // this file alone; it must exist
  std::string context;
  std::string cluster;
  std::string user;
  std::string namespace_name;  // -n: wins over the context's namespace
  std::string as;
  std::vector<std::string> as_groups;
};

// What the loading rules read from the process: $KUBECONFIG, $HOME and the
// service account folder. Tests pass their own.
struct KubeconfigEnvironment {
  std::optional<std::string> kubeconfig_var;
  std::string home;
  std::string service_account_dir;
  static KubeconfigEnvironment FromProcess();
};

// The loading rules of kubectl and client-go:
//  1. --kubeconfig: that file only (missing is an error);
//  2. else $KUBECONFIG, a ':'-separated list merged in order: the first file
//     to name a cluster, user or context wins it whole, the first to set
//     current-context wins it; empty and missing entries are skipped;
//  3. else ~/.kube/config if it exists;
//  4. else (no file at all) the pod's service account.
// Then --context (else current-context) picks the context; --cluster and
// --user override its cluster and user; -n overrides its namespace, which
// defaults to "default". Paths in a file are relative to its folder. An
// error is a sentence naming the file and what to fix.
Result<KubeConfig> LoadClientConfig(const KubeconfigFlags& flags,
                                    const KubeconfigEnvironment& env = KubeconfigEnvironment::FromProcess());

// One kubeconfig file, its current context or |context|.
Result<KubeConfig> LoadKubeconfig(const std::string& path, const std::string& context = "");

inline constexpr const char* kServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

// The pod's service account: KUBERNETES_SERVICE_HOST/PORT (an IPv6 host is
// bracketed), and ca.crt, token (as token_file) and namespace in |dir|.
// An error outside a pod.
Result<KubeConfig> InClusterConfig(const std::string& dir = kServiceAccountDir);

}  // namespace keyward
