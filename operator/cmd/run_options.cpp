#include "cmd/run_options.h"

#include <unistd.h>

#include <boost/program_options.hpp>
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "server/forward_auth_path.h"
#include "base/time_format.h"
#include "kube/kube_config.h"

namespace keyward {
namespace po = boost::program_options;

RunEnvironment CurrentRunEnvironment() {
  RunEnvironment env;
  std::ifstream in(std::string(kServiceAccountDir) + "/namespace");
  if (in) std::getline(in, env.pod_namespace);
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  env.hostname = host;
  if (const char* ip = std::getenv("POD_IP")) env.pod_ip = ip;
  env.pid = static_cast<long>(getpid());
  env.cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return env;
}

namespace {

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

bool ParseMillis(const std::string& text, std::chrono::milliseconds* out) {
  auto d = ParseDuration(text);
  if (!d || d->count() <= 0) return false;
  *out = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
  return true;
}

// Flags read as text first (durations, lists), converted after parsing.
struct FlagText {
  std::string watch, lease_duration, renew_deadline, retry_period, flush, secret_check;
  std::string dns_names, tls_validity, usage_clock_start, peer_sync;
  explicit FlagText(const RunOptions& o)
      : lease_duration(FormatDuration(o.lease_duration)),
        renew_deadline(FormatDuration(o.renew_deadline)),
        retry_period(FormatDuration(o.retry_period)),
        flush(FormatDuration(o.usage_flush_interval)),
        secret_check(FormatDuration(o.secret_check_interval)),
        tls_validity(FormatDuration(o.tls_validity)),
        peer_sync(FormatDuration(o.peer_sync_interval)) {}
};

// The flags of replication between replicas (docs/replicas.md).
void AddReplicaFlags(po::options_description& desc, RunOptions& o, FlagText& t,
                     const RunEnvironment& env) {
  // clang-format off
  desc.add_options()
    ("peer-port", po::value(&o.peer_port)->default_value(0),
     "HTTPS port (mutual TLS, certificates from --peer-ca-secret) on which followers learn "
     "volatile keys' digests from the leader and report their usage to it, so every replica "
     "accepts volatile keys and day/month quotas hold across replicas; needs --leader-elect. "
     "0: off (volatile keys on the leader only; quotas per replica; a follower's usage reaches "
     "status only if it becomes leader)")
    ("peer-address", po::value(&o.peer_address)->default_value(
         env.pod_ip.empty() ? "" : env.pod_ip + ":<peer-port>"),
     "host:port other replicas reach this one on; the leader writes it into its Lease "
     "(default: $POD_IP:<peer-port> when POD_IP is set)")
    ("peer-ca-secret", po::value(&o.peer_ca_secret)->default_value(o.peer_ca_secret),
     "Secret in --namespace with the replicas' own CA (created when absent); each replica "
     "issues itself a certificate from it for the peer port")
    ("peer-cert-dir", po::value(&o.peer_cert_dir)->default_value(""),
     "writable directory for this replica's peer certificate, key and CA bundle "
     "(default: a private directory made under $TMPDIR or /tmp)")
    ("peer-sync-interval", po::value(&t.peer_sync)->default_value(t.peer_sync),
     "how often a follower syncs with the leader: how late it learns a new volatile key, and "
     "how far day and month quotas can lag across replicas");
  // clang-format on
}

// The webhooks' own port and who may call it.
void AddWebhookPortFlags(po::options_description& desc, RunOptions& o) {
  // clang-format off
  desc.add_options()
    ("webhook-port", po::value(&o.webhook_port)->default_value(0),
     "serve /validate, /mutate, /authenticate and /authorize on this HTTPS port only, with the "
     "same certificate (the API server is their only client); 0 = on --secure-port with the rest")
    ("webhook-client-ca-file", po::value(&o.webhook_client_ca_file)->default_value(""),
     "with --webhook-port: require there a client certificate that chains to a CA in this PEM "
     "file (kube-apiserver presents one from its webhook kubeconfigs and AdmissionConfiguration)");
  // clang-format on
}

// The flags of what `keyward run` serves: ports, TLS, limits, usage.
void AddServingFlags(po::options_description& desc, RunOptions& o, FlagText& t,
                     const RunEnvironment& env) {
  // clang-format off
  desc.add_options()
    ("secure-port", po::value(&o.secure_port)->default_value(o.secure_port),
     "HTTPS port for /v1/check and /v1/auth (needs --tls-cert-file and --tls-private-key-file)")
    ("bind-address", po::value(&o.bind_address)->default_value(o.bind_address),
     "address of the HTTPS port (0.0.0.0: every IPv4 address; :: for IPv6)")
    ("tls-cert-file", po::value(&o.tls_cert_file)->default_value(""),
     "serving certificate chain (PEM); reloaded when the file changes. Without it (and the key) "
     "nothing is served over HTTPS and the controller runs alone")
    ("tls-private-key-file", po::value(&o.tls_private_key_file)->default_value(""),
     "private key of --tls-cert-file (PEM); reloaded with it")
    ("webhook-ca-secret", po::value(&o.webhook_ca_secret)->default_value(""),
     "keep the serving certificate without cert-manager: a CA in this Secret of --namespace "
     "(created when absent), a certificate per replica issued from it and written to "
     "--tls-cert-file/--tls-private-key-file (writable paths), renewed before expiry")
    ("tls-dns-names", po::value(&t.dns_names)->default_value(""),
     "with --webhook-ca-secret: comma-separated DNS names of the serving certificate (the Service's)")
    ("tls-validity", po::value(&t.tls_validity)->default_value(t.tls_validity),
     "with --webhook-ca-secret: lifetime of each serving certificate; renewed after two thirds")
    ("validating-webhook-configuration", po::value(&o.validating_webhook_configuration)->default_value(""),
     "with --webhook-ca-secret: ValidatingWebhookConfiguration whose caBundle the leader keeps")
    ("mutating-webhook-configuration", po::value(&o.mutating_webhook_configuration)->default_value(""),
     "with --webhook-ca-secret: MutatingWebhookConfiguration whose caBundle the leader keeps")
    ("metrics-bind-address", po::value(&o.metrics_bind_address)->default_value(o.metrics_bind_address),
     "host:port of the plain HTTP port for /metrics, /healthz and /readyz (:8080 = every "
     "address); 0 turns it off")
    ("server-threads", po::value(&o.server_threads)->default_value(env.cores),
     "threads serving each port (default: the number of cores)")
    ("logs-endpoint", po::bool_switch(&o.logs_endpoint),
     "serve GET /v1/logs/<namespace>/<pod>/<container> on the HTTPS port: a key's container log, "
     "filtered and streamed from the API server with keyward's credentials (needs get pods/log)")
    ("forward-auth-path", po::value(&o.forward_auth_path)->default_value(""),
     "forward-auth (/v1/auth) takes its target from the original URI the proxy forwards "
     "(X-Original-URI or X-Forwarded-Uri) matched against this template, e.g. "
     "/logs/{namespace}/{pod}/{container}, and ignores X-Keyward-* headers a client could send; "
     "empty: the X-Keyward-* headers, which the proxy must set and clear")
    ("max-log-streams", po::value(&o.max_log_streams)->default_value(o.max_log_streams),
     "with --logs-endpoint: open log streams at most; more get 503")
    ("max-log-streams-per-key", po::value(&o.max_log_streams_per_key)->default_value(o.max_log_streams_per_key),
     "with --logs-endpoint: open log streams of one ApiKey at most; more get 429")
    ("max-keys-per-namespace", po::value(&o.max_keys_per_namespace)->default_value(o.max_keys_per_namespace),
     "the admission webhook (/validate) refuses more ApiKeys than this in one namespace")
    ("usage-flush-interval", po::value(&t.flush)->default_value(t.flush),
     "how often usage counted in memory is written to status.usage and status.lastUsedAt")
    ("per-key-metrics", po::bool_switch(&o.per_key_metrics),
     "export keyward_apikey_requests_total{namespace,apikey,template}, the allowed requests of "
     "each key: one series per used key "
     "(off by default: thousands of keys make thousands of series)")
    ("usage-clock-start", po::value(&t.usage_clock_start)->default_value(""),
     "testing only: count usage and quotas as if the clock read this RFC 3339 time when keyward "
     "started (days and months roll over from there)");
  // clang-format on
}

// The flags `keyward run` serves today.
po::options_description RunFlags(RunOptions& o, FlagText& t, const RunEnvironment& env) {
  po::options_description desc("keyward run flags");
  // clang-format off
  desc.add_options()
    ("help,h", "show this help")
    ("kubeconfig", po::value(&o.kubeconfig)->default_value(""),
     "this kubeconfig file alone (default: $KUBECONFIG, else ~/.kube/config, else the pod's service account)")
    ("context", po::value(&o.kube_context)->default_value(""), "kubeconfig context (default: its current-context)")
    ("namespace", po::value(&o.operator_namespace)->default_value(
         env.pod_namespace.empty() ? kDefaultOperatorNamespace : env.pod_namespace),
     "the operator's own namespace, for the pepper Secret and the Lease (in-cluster: the pod's)")
    ("watch-namespaces", po::value(&t.watch)->default_value(""),
     "comma-separated namespaces to watch for ApiKeys; empty = all namespaces")
    ("workers", po::value(&o.workers)->default_value(o.workers),
     "concurrent reconciles; each ApiKey is reconciled by one worker at a time")
    ("kube-api-qps", po::value(&o.kube_qps)->default_value(o.kube_qps),
     "steady API requests per second to the API server (client-side token bucket)")
    ("kube-api-burst", po::value(&o.kube_burst)->default_value(o.kube_burst),
     "API requests allowed in a burst above --kube-api-qps")
    ("leader-elect", po::value(&o.leader_elect)->default_value(false)->implicit_value(true),
     "elect a leader with a coordination.k8s.io Lease; only the leader writes (on in the chart)")
    ("leader-elect-lease-name", po::value(&o.lease_name)->default_value(o.lease_name),
     "name of the Lease in --namespace")
    ("leader-elect-lease-duration", po::value(&t.lease_duration)->default_value(t.lease_duration),
     "how long a Lease is held without renewal before another replica may take it")
    ("leader-elect-renew-deadline", po::value(&t.renew_deadline)->default_value(t.renew_deadline),
     "the leader stops writing if it could not renew within this time")
    ("leader-elect-retry-period", po::value(&t.retry_period)->default_value(t.retry_period),
     "how often candidates try to acquire and the leader renews")
    ("identity", po::value(&o.identity)->default_value(""),
     "leader-election identity (default: hostname_pid)")
    ("pepper-secret", po::value(&o.pepper_secret)->default_value(o.pepper_secret),
     "Secret in --namespace holding the HMAC pepper; created on first start")
    ("log-level", po::value(&o.log_level)->default_value(o.log_level),
     "trace, debug, info, warn, error")
    ("log-format", po::value(&o.log_format)->default_value(o.log_format),
     "text or json (one JSON object per line)")
    ("secret-check-interval", po::value(&t.secret_check)->default_value(t.secret_check),
     "how often the leader checks that each permanent key's Secret still exists (a deleted "
     "Secret gets a new key); needs only get on Secrets, no watch");

  // clang-format on
  AddServingFlags(desc, o, t, env);
  AddWebhookPortFlags(desc, o);
  AddReplicaFlags(desc, o, t, env);
  return desc;
}

// Converts the text flags; an error names the flag.
std::string ConvertFlagText(const FlagText& t, RunOptions* o) {
  o->watch_namespaces = SplitCommas(t.watch);
  o->tls_dns_names = SplitCommas(t.dns_names);
  if (!t.usage_clock_start.empty()) {
    o->usage_clock_start = ParseRfc3339(t.usage_clock_start);
    if (!o->usage_clock_start) {
      return "--usage-clock-start: \"" + t.usage_clock_start + "\" is not an RFC 3339 time";
    }
  }
  const struct {
    const char* flag;
    const std::string& text;
    std::chrono::milliseconds* out;
  } durations[] = {{"--leader-elect-lease-duration", t.lease_duration, &o->lease_duration},
                   {"--leader-elect-renew-deadline", t.renew_deadline, &o->renew_deadline},
                   {"--leader-elect-retry-period", t.retry_period, &o->retry_period},
                   {"--usage-flush-interval", t.flush, &o->usage_flush_interval},
                   {"--secret-check-interval", t.secret_check, &o->secret_check_interval},
                   {"--tls-validity", t.tls_validity, &o->tls_validity},
                   {"--peer-sync-interval", t.peer_sync, &o->peer_sync_interval}};
  for (const auto& d : durations) {
    if (!ParseMillis(d.text, d.out)) {
      return std::string(d.flag) + ": \"" + d.text +
             "\" is not a positive duration (e.g. 15s, 2m, 1h30m)";
    }
  }
  return "";
}

// "host:port", ":port" (every address), "[v6]:port" or "0" (off) into
// |o|'s metrics_host and metrics_port; an error names the flag.
std::string ParseMetricsAddress(RunOptions* o) {
  const std::string& text = o->metrics_bind_address;
  if (text == "0") {
    o->metrics_port = 0;
    return "";
  }
  auto colon = text.rfind(':');
  std::string host = colon == std::string::npos ? "" : text.substr(0, colon);
  std::string port = colon == std::string::npos ? "" : text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int value = 0;
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      (value = std::stoi(port)) < 1 || value > 65535) {
    return "--metrics-bind-address: \"" + text + "\" is not host:port (e.g. :8080, 127.0.0.1:8080) or 0";
  }
  o->metrics_host = host.empty() ? "0.0.0.0" : host;
  o->metrics_port = value;
  return "";
}

// The replication flags against the rest; an error names the flag.
std::string CheckPeerOptions(const RunOptions& o) {
  if (o.peer_port == 0) return "";
  if (o.peer_port < 0 || o.peer_port > 65535) {
    return "--peer-port must be a TCP port, 1-65535, or 0 (got " + std::to_string(o.peer_port) + ")";
  }
  if (!o.leader_elect) return "--peer-port needs --leader-elect (followers sync with the leader)";
  if (o.peer_port == o.secure_port || o.peer_port == o.metrics_port) {
    return "--peer-port must differ from --secure-port and the metrics port (both " +
           std::to_string(o.peer_port) + ")";
  }
  const auto colon = o.peer_address.rfind(':');
  if (o.peer_address.empty() || colon == std::string::npos || colon == 0 ||
      colon + 1 == o.peer_address.size()) {
    return "--peer-port needs --peer-address, the host:port other replicas reach this one on "
           "(got \"" + o.peer_address + "\"; in a pod, set POD_IP from status.podIP)";
  }
  return "";
}

// --webhook-port and --webhook-client-ca-file; an error names the flag.
std::string CheckWebhookPort(const RunOptions& o) {
  if (o.webhook_port == 0) {
    if (o.webhook_client_ca_file.empty()) return "";
    return "--webhook-client-ca-file needs --webhook-port (the port where only the API server calls)";
  }
  if (o.webhook_port < 0 || o.webhook_port > 65535) {
    return "--webhook-port must be a TCP port, 1-65535, or 0 (got " + std::to_string(o.webhook_port) + ")";
  }
  if (o.webhook_port == o.secure_port || o.webhook_port == o.metrics_port || o.webhook_port == o.peer_port) {
    return "--webhook-port must differ from --secure-port, the metrics port and --peer-port (" +
           std::to_string(o.webhook_port) + ")";
  }
  return "";
}

// Checks values against each other; an error names the flag.
std::string CheckOptions(const RunOptions& o) {
  if (!o.forward_auth_path.empty()) {
    if (auto parsed = ForwardAuthPath::Parse(o.forward_auth_path); !parsed.ok()) return parsed.error();
  }
  if (o.secure_port < 1 || o.secure_port > 65535) {
    return "--secure-port must be a TCP port, 1-65535 (got " + std::to_string(o.secure_port) + ")";
  }
  if (o.tls_cert_file.empty() != o.tls_private_key_file.empty()) {
    return "--tls-cert-file and --tls-private-key-file go together: give both or neither";
  }
  if (!o.webhook_ca_secret.empty() && (o.tls_cert_file.empty() || o.tls_dns_names.empty())) {
    return "--webhook-ca-secret needs --tls-cert-file and --tls-private-key-file (writable paths: "
           "keyward writes its serving certificate there) and --tls-dns-names (the Service's names)";
  }
  if (o.webhook_ca_secret.empty() && (!o.validating_webhook_configuration.empty() ||
                                      !o.mutating_webhook_configuration.empty())) {
    return "--validating-webhook-configuration and --mutating-webhook-configuration need "
           "--webhook-ca-secret (the caBundle they get is that CA's)";
  }
  if (std::string bad = CheckWebhookPort(o); !bad.empty()) return bad;
  if (o.metrics_port == o.secure_port) {
    return "--secure-port and --metrics-bind-address must use different ports (both " +
           std::to_string(o.secure_port) + ")";
  }
  if (o.server_threads < 1) return "--server-threads must be at least 1";
  if (o.workers < 1) return "--workers must be at least 1";
  if (o.kube_qps <= 0 || o.kube_burst < 1) return "--kube-api-qps and --kube-api-burst must be positive";
  if (o.renew_deadline >= o.lease_duration) {
    return "--leader-elect-renew-deadline must be shorter than --leader-elect-lease-duration";
  }
  // client-go's rule: a renew may fail once (with jitter) and still be
  // retried before the deadline ends leadership.
  if (o.retry_period * 12 >= o.renew_deadline * 10) {
    return "--leader-elect-retry-period (" + FormatDuration(o.retry_period) +
           ") must be shorter than --leader-elect-renew-deadline (" +
           FormatDuration(o.renew_deadline) + ") divided by 1.2, so a failed renew is retried in time";
  }
  if (o.log_format != "text" && o.log_format != "json") return "--log-format must be text or json";
  return CheckPeerOptions(o);
}

}  // namespace

RunOptionsParse ParseRunOptions(int argc, char** argv, const RunEnvironment& env) {
  RunOptions o;
  FlagText text(o);
  po::options_description desc = RunFlags(o, text, env);
  RunOptionsParse result;
  try {
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
    if (vm.count("help")) {
      std::ostringstream ss;
      ss << "Usage: keyward run [flags]\n\nRuns the ApiKey operator.\n\n" << desc;
      result.help = ss.str();
      return result;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    result.error = e.what();
    return result;
  }
  result.error = ConvertFlagText(text, &o);
  if (result.error.empty()) result.error = ParseMetricsAddress(&o);
  const std::string port_placeholder = "<peer-port>";
  if (auto at = o.peer_address.find(port_placeholder); at != std::string::npos) {
    o.peer_address.replace(at, port_placeholder.size(), std::to_string(o.peer_port));
  }
  if (result.error.empty()) result.error = CheckOptions(o);
  if (o.identity.empty()) o.identity = env.hostname + "_" + std::to_string(env.pid);
  if (result.error.empty()) result.options = o;
  return result;
}

}  // namespace keyward
