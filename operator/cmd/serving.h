// What `keyward run` serves: the HTTPS port (/v1/check, /v1/auth) over the
// decision service, and the plain port (/metrics, /healthz, /readyz).
#pragma once
#include <atomic>
#include <optional>
#include <memory>

#include "base/status.h"
#include "check/check_service.h"
#include "check/owner_cache.h"
#include "check/usage_flusher.h"
#include "cmd/replication.h"
#include "cmd/run_options.h"
#include "keys/quota_book.h"
#include "kube/credentials.h"
#include "kube/kube_config.h"
#include "kube/manager.h"
#include "server/listener.h"
#include "server/logs_endpoint.h"
#include "server/metrics.h"
#include "server/reveal_endpoint.h"
#include "webhooks/admission.h"
#include "server/ca_keeper.h"
#include "server/forward_auth_path.h"
#include "server/tls_files.h"

namespace keyward {

// The ApiKey cache's label for the keyward_apikeys gauge: "<type>/<phase>",
// each from a fixed set (never user text), from the strings at
// ApiKeyGaugeFields() (spec.type, status.phase).
const std::vector<FieldPath>& ApiKeyGaugeFields();
std::string ApiKeyGaugeLabel(const std::vector<std::string>& fields);

class Serving {
 public:
  // |usage_kube| writes usage to status, |review_kube| makes the reviews
  // of reveal and admission, each on a budget of its own.
  Serving(const RunOptions& options, KubeClient& kube, KubeClient& usage_kube, KubeClient& review_kube,
          const KeyIndex& index, VolatileKeyStore& volatile_keys, Manager& manager);
  ~Serving();

  // Loads the certificate, starts the owner cache and both listeners as the
  // flags ask. Without a certificate only the plain port runs, and one log
  // line says so. An error names the flag or the file.
  Status Start();
  // Before Start: also serve /v1/logs, reading pods/log with |config|'s
  // credentials (keyward's own).
  void ServeLogs(const KubeConfig& config) {
    log_config_ = config;
    log_credentials_ = MakeCredentialSource(config);
  }
  // Before Start: where admission finds templates.
  void UseTemplates(TemplateLookup templates) { templates_ = std::move(templates); }
  // Stops serving, then writes the usage counted since the last batch.
  void Stop();
  // An ApiKey was deleted: its counts go (a new one of that name starts at 0).
  void ForgetUsage(const ApiKeyRef& ref) { quotas_.Forget(ref); }

  // The watch caches hold their first lists (ApiKeys, and pods and
  // ReplicaSets when checks are served).
  bool Ready() const;
  Metrics& metrics() { return metrics_; }

 private:
  Status StartHttps();
  Status StartCaKeeper();
  std::optional<std::string> VolatileGap() const;
  // Which paths a listener serves: all of them on --secure-port, or with
  // --webhook-port the data paths there and the webhooks on their own port.
  enum class Paths { kAll, kData, kWebhooks };
  HttpHandler HttpsRoutes(Paths paths);
  Status StartWebhookPort(ListenerOptions lo);
  void CollectGauges(Metrics& m);

  const RunOptions& options_;
  KubeClient& kube_;
  const KeyIndex& index_;
  VolatileKeyStore& volatile_keys_;
  ApiRevealAuthorizer reveal_authorizer_;
  ApiAdmissionReviewer admission_reviewer_;
  Manager& manager_;
  Metrics metrics_;
  QuotaBook quotas_;
  const std::function<TimePoint()> usage_now_;  // before usage_flusher_
  UsageFlusher usage_flusher_;
  // Keeps the serving certificate itself (--webhook-ca-secret); before tls_.
  std::unique_ptr<CaKeeper> ca_keeper_;
  std::unique_ptr<TlsFiles> tls_;
  std::unique_ptr<OwnerCache> owners_;
  std::unique_ptr<CheckService> service_;
  std::unique_ptr<TlsFiles> webhook_tls_;  // --webhook-port: the same files, its client CA
  std::unique_ptr<Listener> https_, webhooks_, plain_;
  std::unique_ptr<ForwardAuthPath> forward_auth_path_;  // --forward-auth-path
  std::unique_ptr<Replication> replication_;  // --peer-port
  std::optional<KubeConfig> log_config_;  // set: /v1/logs is served
  std::shared_ptr<CredentialSource> log_credentials_;  // shared by every log stream
  std::atomic<int> log_streams_{0};
  KeyStreamCounts key_log_streams_;  // --max-log-streams-per-key
  TemplateLookup templates_;
};

}  // namespace keyward
