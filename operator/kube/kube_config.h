// How to reach the API server: from a kubeconfig file (current context) or
// from the pod's service account. Loading is pure file I/O; thread-compatible.
#pragma once
#include <optional>
#include <string>

#include "base/status.h"

namespace keyward {

struct KubeConfig {
  std::string server;           // https://host:port
  std::string ca_pem;           // trusted CA bundle (the only roots trusted); empty = system roots
  std::string client_cert_pem;  // client certificate chain (mTLS), optional
  std::string client_key_pem;
  std::string token;            // static bearer token, optional
  std::string token_file;       // bearer token re-read when it changes (bound SA tokens);
                                // while readable it wins over |token|
  bool insecure_skip_tls_verify = false;
  std::string default_namespace;
};

// Reads the kubeconfig at |path| (YAML): the current context (or |context|
// if non-empty), its cluster and user. Paths in it (certificate-authority,
// client-certificate, client-key, tokenFile) are relative to the file's
// directory; the *-data fields are base64. An error is a sentence naming
// the file and the missing or bad field.
Result<KubeConfig> LoadKubeconfig(const std::string& path, const std::string& context = "");

inline constexpr const char* kServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

// The pod's service account: KUBERNETES_SERVICE_HOST/PORT (an IPv6 host is
// bracketed), and ca.crt, token (as token_file) and namespace in |dir|.
// An error outside a pod.
Result<KubeConfig> InClusterConfig(const std::string& dir = kServiceAccountDir);

}  // namespace keyward
