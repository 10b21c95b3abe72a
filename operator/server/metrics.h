// keyward's Prometheus metrics (prometheus-cpp): checks by endpoint, result
// and reason, check latency, webhook calls, reconciles, ApiKeys by type and
// phase, relists.
#pragma once
#include <array>
#include <functional>
#include <memory>
#include <string>

#include "check/check_service.h"

namespace prometheus {
class Registry;
class Counter;
class Gauge;
class Histogram;
template <typename T>
class Family;
}  // namespace prometheus

namespace keyward {

// Where a decision was asked for; a metric label.
enum class CheckEndpoint { kCheck, kForwardAuth, kTokenReview, kSubjectAccessReview };
inline constexpr int kCheckEndpoints = 4;
inline constexpr int kCheckReasons = 9;

// Calls from kube-apiserver's webhooks, by kind and result; a metric label.
enum class WebhookKind { kValidate, kMutate, kAuthenticate, kAuthorize };
enum class WebhookResult { kAllowed, kDenied, kNoOpinion, kError };
inline constexpr int kWebhookKinds = 4;
inline constexpr int kWebhookResults = 4;

// No label ever holds a key, a hint or an ApiKey name: only endpoint,
// result, reason, type and phase, each from a fixed set.
class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Lock-free lookups: every (endpoint, reason) counter exists up front.
  void RecordCheck(CheckEndpoint endpoint, CheckReason reason, double seconds);
  void RecordReconcile(bool ok);
  void RecordWebhook(WebhookKind kind, WebhookResult result);
  // --per-key-metrics: one allowed (counted) request of an ApiKey; a series
  // per key, kept until restart.
  void RecordKeyRequest(const std::string& ns, const std::string& name, const std::string& tpl);

  // Runs before each scrape to set the gauges that are read, not counted
  // (ApiKeys by type and phase, relists of the watches).
  void OnScrape(std::function<void(Metrics&)> collect) { collect_ = std::move(collect); }
  void SetApiKeys(const std::string& type, const std::string& phase, double count);
  void SetWatchRelists(double relists);
  // --peer-port (docs/replicas.md); the series exist once this is called.
  struct Replication {
    bool leader = false;
    double followers = 0;       // leader: followers that synced in the last 3 s
    double sync_age = -1;       // follower: seconds since its last sync (-1: never)
    double syncs = 0, failures = 0;  // the follower's syncs so far, by result
  };
  void SetReplication(const Replication& r);

  // The text exposition format for GET /metrics.
  std::string Scrape();

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* checks_;
  prometheus::Family<prometheus::Histogram>* latency_;
  prometheus::Family<prometheus::Counter>* reconciles_;
  prometheus::Family<prometheus::Counter>* webhooks_;
  prometheus::Family<prometheus::Counter>* key_requests_;
  std::array<std::array<prometheus::Counter*, kWebhookResults>, kWebhookKinds> webhook_counters_{};
  prometheus::Family<prometheus::Gauge>* apikeys_;
  prometheus::Gauge* relists_;
  std::array<std::array<prometheus::Counter*, kCheckReasons>, kCheckEndpoints> check_counters_{};
  std::array<prometheus::Histogram*, kCheckEndpoints> latency_by_endpoint_{};
  prometheus::Counter* reconcile_ok_;
  prometheus::Counter* reconcile_error_;
  std::function<void(Metrics&)> collect_;
  struct ReplicationSeries;
  std::unique_ptr<ReplicationSeries> replication_;
};

const char* CheckEndpointName(CheckEndpoint endpoint);

}  // namespace keyward
