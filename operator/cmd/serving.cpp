#include "cmd/serving.h"

#include <spdlog/spdlog.h>

#include <map>
#include <thread>

#include "api/apikey.h"
#include "kube/json_fields.h"
#include "server/logs_endpoint.h"
#include "server/routes.h"
#include "webhooks/subject_access_review.h"
#include "webhooks/token_review.h"

namespace keyward {

namespace {

// Usage restored from the watch cache's copy of the ApiKey (no API call).
std::optional<FlushedUsage> CachedUsage(const Manager& manager, const ApiKeyRef& ref) {
  ObjectPtr obj = manager.Get(ref.String());
  if (!obj) return std::nullopt;
  FieldErrors ignored;
  return FlushedUsageOf(ParseApiKey(*obj, &ignored).status);
}

// What the cached ApiKey's status holds of usage, and its resourceVersion.
std::optional<StoredUsage> CachedHistory(const Manager& manager, const ApiKeyRef& ref) {
  ObjectPtr obj = manager.Get(ref.String());
  if (!obj) return std::nullopt;
  return StoredUsageOf(*obj);
}

// The clock usage and quotas count by: the real one, or (testing) one that
// read --usage-clock-start when keyward started.
std::function<TimePoint()> UsageClock(const RunOptions& o) {
  if (!o.usage_clock_start) return [] { return Clock::now(); };
  const auto offset = *o.usage_clock_start - Clock::now();
  spdlog::warn("--usage-clock-start: usage and quotas count from {}", FormatRfc3339(*o.usage_clock_start));
  return [offset] { return Clock::now() + offset; };
}

}  // namespace

Serving::Serving(const RunOptions& options, KubeClient& kube, KubeClient& usage_kube,
                 KubeClient& review_kube, const KeyIndex& index, VolatileKeyStore& volatile_keys,
                 Manager& manager)
    : options_(options),
      kube_(kube),
      index_(index),
      volatile_keys_(volatile_keys),
      reveal_authorizer_(review_kube),
      admission_reviewer_(review_kube),
      manager_(manager),
      quotas_([&manager](const ApiKeyRef& ref) { return CachedUsage(manager, ref); }),
      usage_now_(UsageClock(options)),
      usage_flusher_(usage_kube, quotas_, options.usage_flush_interval, usage_now_,
                     [&manager](const ApiKeyRef& ref) { return CachedHistory(manager, ref); }) {
  metrics_.OnScrape([this](Metrics& m) { CollectGauges(m); });
  // Followers report their counts to the leader, which writes them.
  usage_flusher_.OnlyWhen([this] { return manager_.IsLeader(); });
}

// Without --peer-port a follower never learns volatile keys: an unknown key
// stays unknown (401), as retrying this replica would never help.
std::optional<std::string> Serving::VolatileGap() const {
  return replication_ ? replication_->VolatileGap() : std::nullopt;
}

Serving::~Serving() { Stop(); }

const std::vector<FieldPath>& ApiKeyGaugeFields() {
  static const std::vector<FieldPath> fields{{"spec", "type"}, {"status", "phase"}};
  return fields;
}

std::string ApiKeyGaugeLabel(const std::vector<std::string>& fields) {
  std::string type = fields.at(0).empty() ? "permanent" : fields[0];
  if (type != "permanent" && type != "volatile") type = "other";
  std::string phase = fields.at(1).empty() ? "Pending" : fields[1];
  if (phase != "Pending" && phase != "Active" && phase != "Disabled" && phase != "Expired" &&
      phase != "Invalid") {
    phase = "other";  // labels come from a fixed set, never from user text
  }
  return type + "/" + phase;
}

void Serving::CollectGauges(Metrics& m) {
  // Counted by the cache's labels: a scrape decodes no ApiKey.
  const std::map<std::string, std::size_t> counts = manager_.CountByLabel();
  for (const char* type : {"permanent", "volatile"}) {
    for (const char* phase : {"Pending", "Active", "Disabled", "Expired", "Invalid"}) {
      auto it = counts.find(std::string(type) + "/" + phase);
      m.SetApiKeys(type, phase, it == counts.end() ? 0 : static_cast<double>(it->second));
    }
  }
  m.SetWatchRelists(manager_.Relists());
  if (replication_) replication_->Collect(m);
}

bool IsWebhookPath(std::string_view path) {
  return path == "/validate" || path == "/mutate" || path == "/authenticate" || path == "/authorize";
}

HttpHandler Serving::HttpsRoutes(Paths paths) {
  CheckEndpointsEnv env{service_.get(), &metrics_};
  env.now = usage_now_;
  env.per_key_metrics = options_.per_key_metrics;
  if (!options_.forward_auth_path.empty()) {
    // Checked by ParseRunOptions; parsed once for every listener's routes
    // (each holds a pointer to it).
    if (!forward_auth_path_) {
      forward_auth_path_ = std::make_unique<ForwardAuthPath>(*ForwardAuthPath::Parse(options_.forward_auth_path));
    }
    env.forward_auth_path = forward_auth_path_.get();
  }
  HttpHandler checks = SecureRoutes(env);
  AdmissionEnv admission;
  admission.reviewer = &admission_reviewer_;
  admission.max_keys_per_namespace = options_.max_keys_per_namespace;
  admission.count_in_namespace = [this](const std::string& ns) {
    return static_cast<int>(manager_.CountInNamespace(ns));
  };
  admission.metrics = &metrics_;
  admission.templates = templates_;
  return [this, env, checks, admission, paths](const HttpRequest& request) -> HttpResponse {
    if (paths != Paths::kAll && IsWebhookPath(request.path) != (paths == Paths::kWebhooks)) {
      return JsonError(404, paths == Paths::kWebhooks
                                ? "this port serves only /validate, /mutate, /authenticate and /authorize"
                                : "the webhooks are served on --webhook-port (see docs/endpoints.md)");
    }
    if (request.path == "/validate") return HandleValidate(admission, request);
    if (request.path == "/mutate") return HandleMutate(admission, request);
    if (request.path.substr(0, 11) == "/v1/reveal/") {
      return HandleReveal(reveal_authorizer_, volatile_keys_, request);
    }
    if (log_config_ && request.path.substr(0, 9) == "/v1/logs/") {
      LogsEndpointEnv logs;
      logs.service = service_.get();
      logs.metrics = &metrics_;
      logs.new_reader = [this] {
        PodLogReaderOptions options;
        options.credentials = log_credentials_;
        return MakeHttpsPodLogReader(*log_config_, options);
      };
      logs.open_streams = &log_streams_;
      logs.max_streams = options_.max_log_streams;
      logs.per_key_streams = &key_log_streams_;
      logs.max_streams_per_key = options_.max_log_streams_per_key;
      return HandleLogs(logs, request);
    }
    if (request.path == "/authenticate") return HandleTokenReview(env, request);
    if (request.path == "/authorize") return HandleSubjectAccessReview(env, request);
    return checks(request);
  };
}

// The webhooks on a port of their own: the same certificate files, and
// with --webhook-client-ca-file a client certificate required.
Status Serving::StartWebhookPort(ListenerOptions lo) {
  webhook_tls_ = std::make_unique<TlsFiles>(options_.tls_cert_file, options_.tls_private_key_file,
                                            options_.webhook_client_ca_file);
  if (Status loaded = webhook_tls_->Load(); !loaded.ok()) {
    return loaded.Prefixed(options_.webhook_client_ca_file.empty() ? "--webhook-port" : "--webhook-client-ca-file");
  }
  webhook_tls_->StartWatching();
  lo.port = static_cast<std::uint16_t>(options_.webhook_port);
  webhooks_ = std::make_unique<Listener>(lo, HttpsRoutes(Paths::kWebhooks), webhook_tls_.get());
  if (Status started = webhooks_->Start(); !started.ok()) return started.Prefixed("--webhook-port");
  spdlog::info("serving /authenticate, /authorize, /validate and /mutate on https://{}:{}{}", options_.bind_address,
               webhooks_->port(), options_.webhook_client_ca_file.empty() ? "" : " (client certificates required)");
  return Status();
}

// The first pass must succeed before anything is served (the files it
// writes are what TlsFiles loads); the API server gets 30 s to answer.
Status Serving::StartCaKeeper() {
  CaKeeperConfig c;
  c.namespace_name = options_.operator_namespace;
  c.ca_secret = options_.webhook_ca_secret;
  c.dns_names = options_.tls_dns_names;
  c.cert_file = options_.tls_cert_file;
  c.key_file = options_.tls_private_key_file;
  c.serving_validity = options_.tls_validity;
  if (!options_.validating_webhook_configuration.empty()) {
    c.validating_webhooks.push_back(options_.validating_webhook_configuration);
  }
  if (!options_.mutating_webhook_configuration.empty()) {
    c.mutating_webhooks.push_back(options_.mutating_webhook_configuration);
  }
  ca_keeper_ = std::make_unique<CaKeeper>(kube_, c, [this] { return manager_.IsLeader(); });
  if (Status synced = ca_keeper_->FirstSync(); !synced.ok()) return synced.Prefixed("--webhook-ca-secret");
  // A renewal, a renewed CA or a new leader's caBundle: within 10 s.
  ca_keeper_->Start(std::chrono::seconds(10));
  return Status();
}

Status Serving::StartHttps() {
  if (!options_.webhook_ca_secret.empty()) {
    if (Status kept = StartCaKeeper(); !kept.ok()) return kept;
  }
  tls_ = std::make_unique<TlsFiles>(options_.tls_cert_file, options_.tls_private_key_file);
  if (Status loaded = tls_->Load(); !loaded.ok()) return loaded;
  tls_->StartWatching();
  owners_ = std::make_unique<OwnerCache>(kube_, options_.watch_namespaces);
  owners_->Start();
  service_ = std::make_unique<CheckService>(index_, *owners_, quotas_);
  service_->SetVolatileGap([this] { return VolatileGap(); });
  usage_flusher_.Start();
  ListenerOptions lo;
  lo.address = options_.bind_address;
  lo.port = static_cast<std::uint16_t>(options_.secure_port);
  lo.threads = options_.server_threads;
  lo.blocking = WaitsOnApiServer;  // never on the threads of /v1/check
  const bool own_port = options_.webhook_port != 0;
  https_ = std::make_unique<Listener>(lo, HttpsRoutes(own_port ? Paths::kData : Paths::kAll), tls_.get());
  if (Status started = https_->Start(); !started.ok()) return started.Prefixed("--secure-port");
  if (own_port) {
    if (Status started = StartWebhookPort(lo); !started.ok()) return started;
  }
  spdlog::info("serving /v1/check, /v1/auth, /v1/reveal{}{} on https://{}:{}", log_config_ ? ", /v1/logs" : "",
               own_port ? "" : ", /authenticate, /authorize, /validate and /mutate", options_.bind_address,
               https_->port());
  return Status();
}

Status Serving::Start() {
  if (options_.peer_port != 0) {
    replication_ = std::make_unique<Replication>(options_, kube_, quotas_, volatile_keys_, index_, manager_);
    if (Status started = replication_->Start(); !started.ok()) return started;
  }
  if (options_.tls_cert_file.empty()) {
    spdlog::warn("no --tls-cert-file/--tls-private-key-file: nothing is served over HTTPS "
                 "(no access checks); the controller runs alone");
  } else if (Status https = StartHttps(); !https.ok()) {
    return https;
  }
  if (options_.metrics_port == 0) return Status();
  ListenerOptions lo;
  lo.address = options_.metrics_host;
  lo.port = static_cast<std::uint16_t>(options_.metrics_port);
  lo.threads = 1;
  plain_ = std::make_unique<Listener>(lo, MetricsRoutes(&metrics_, [this] { return Ready(); }),
                                      nullptr);
  if (Status started = plain_->Start(); !started.ok()) {
    return started.Prefixed("--metrics-bind-address");
  }
  spdlog::info("serving /metrics, /healthz and /readyz on http://{}:{}", options_.metrics_host,
               plain_->port());
  return Status();
}

bool Serving::Ready() const {
  return manager_.Ready() && (!owners_ || owners_->Ready());
}

void Serving::Stop() {
  if (https_) https_->Stop();
  if (webhooks_) webhooks_->Stop();
  if (plain_) plain_->Stop();
  if (owners_) owners_->Stop();
  if (ca_keeper_) ca_keeper_->Stop();
  if (tls_) tls_->Stop();
  if (webhook_tls_) webhook_tls_->Stop();
  if (replication_) replication_->Stop();  // a follower's last counts go to the leader
  usage_flusher_.Stop();  // after the last request: nothing counted is lost
}

}  // namespace keyward
