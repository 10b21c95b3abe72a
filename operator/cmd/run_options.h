// Flags of `keyward run`, each with its default and why. Parsing is pure
// (argv and the process environment in, options or an error out).
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "base/time_format.h"

namespace keyward {

inline constexpr const char* kDefaultOperatorNamespace = "keyward-system";
inline constexpr const char* kDefaultPepperSecret = "keyward-pepper";

// What the flags' defaults depend on besides argv, read once by the caller.
struct RunEnvironment {
  std::string pod_namespace;  // the service account's namespace file, or ""
  std::string hostname;
  long pid = 0;
  int cores = 1;
  std::string pod_ip;         // $POD_IP (the chart sets it from the downward API), or ""
};

// The environment of this process (getenv, the namespace file, gethostname).
RunEnvironment CurrentRunEnvironment();

struct RunOptions {
  std::string kubeconfig;               // empty: kubectl's loading rules (kube/kube_config.h)
  std::string kube_context;             // empty: the current-context
  std::string operator_namespace;       // pepper Secret and Lease live here
  std::vector<std::string> watch_namespaces;  // empty: all namespaces
  int workers = 4;
  double kube_qps = 50;
  int kube_burst = 100;
  bool leader_elect = false;
  std::string lease_name = "keyward-leader";
  std::chrono::milliseconds lease_duration{15000};
  std::chrono::milliseconds renew_deadline{10000};
  std::chrono::milliseconds retry_period{2000};
  std::string pepper_secret = kDefaultPepperSecret;
  std::string log_level = "info";
  std::string log_format = "text";
  int secure_port = 9443;                       // HTTPS: /v1/check, /v1/auth
  // Set: /validate, /mutate, /authenticate and /authorize are served on
  // this HTTPS port only (same certificate), and 404 on secure_port.
  int webhook_port = 0;
  // With webhook_port: a client certificate chaining to a CA in this file
  // is required there (kube-apiserver's, from its webhook kubeconfigs).
  std::string webhook_client_ca_file;
  std::string bind_address = "0.0.0.0";
  std::string tls_cert_file;                    // both empty: nothing is served over HTTPS
  std::string tls_private_key_file;
  // Set: keyward keeps its own serving certificate, issued from a CA in this
  // Secret of --namespace, and writes it to the two files above.
  std::string webhook_ca_secret;
  std::vector<std::string> tls_dns_names;       // the Service's names
  std::chrono::milliseconds tls_validity{7 * 24 * 3600 * 1000LL};
  std::string validating_webhook_configuration;  // caBundle kept by the leader
  std::string mutating_webhook_configuration;
  std::string metrics_bind_address = ":8080";   // "0": no metrics/health port
  std::string metrics_host;                     // parsed from metrics_bind_address
  int metrics_port = 8080;                      // 0 when off
  int server_threads = 0;                       // 0 until parsed: the number of cores
  std::chrono::milliseconds usage_flush_interval{30000};
  int max_keys_per_namespace = 100;
  bool logs_endpoint = false;  // GET /v1/logs/...: needs get pods/log
  int max_log_streams = 64;
  int max_log_streams_per_key = 8;
  std::string forward_auth_path;  // empty: forward-auth reads X-Keyward-* headers
  std::chrono::milliseconds secret_check_interval{300000};
  std::string identity;  // leader-election identity; default hostname_pid
  bool per_key_metrics = false;  // keyward_apikey_checks_total per key
  // Replication between replicas (docs/replicas.md); peer_port 0: off.
  int peer_port = 0;
  std::string peer_address;      // host:port other replicas reach this one on
  std::string peer_ca_secret = "keyward-peer-ca";
  std::string peer_cert_dir;     // empty: a private directory made at start
  std::chrono::milliseconds peer_sync_interval{250};
  // Testing only: usage and quotas count from this time at start.
  std::optional<TimePoint> usage_clock_start;
};

struct RunOptionsParse {
  std::optional<RunOptions> options;  // nullopt on error or --help
  std::string error;                  // set on error
  std::string help;                   // set on --help
};

RunOptionsParse ParseRunOptions(int argc, char** argv, const RunEnvironment& env);

}  // namespace keyward
