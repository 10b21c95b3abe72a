#include "server/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace keyward {

const char* CheckEndpointName(CheckEndpoint endpoint) {
  switch (endpoint) {
    case CheckEndpoint::kCheck: return "check";
    case CheckEndpoint::kForwardAuth: return "auth";
    case CheckEndpoint::kTokenReview: return "authenticate";
    case CheckEndpoint::kSubjectAccessReview: return "authorize";
  }
  return "unknown";
}

namespace {

const char* WebhookKindName(int kind) {
  static const char* const kNames[kWebhookKinds] = {"validate", "mutate", "authenticate",
                                                    "authorize"};
  return kNames[kind];
}

const char* WebhookResultName(int result) {
  static const char* const kNames[kWebhookResults] = {"allowed", "denied", "no_opinion", "error"};
  return kNames[result];
}

}  // namespace

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {
  checks_ = &prometheus::BuildCounter()
                 .Name("keyward_checks_total")
                 .Help("Access decisions by endpoint, result (allowed or denied) and reason")
                 .Register(*registry_);
  latency_ = &prometheus::BuildHistogram()
                  .Name("keyward_check_duration_seconds")
                  .Help("Time to decide, from the parsed request to the decision")
                  .Register(*registry_);
  reconciles_ = &prometheus::BuildCounter()
                     .Name("keyward_reconciles_total")
                     .Help("ApiKey reconciles by result (success or error)")
                     .Register(*registry_);
  key_requests_ = &prometheus::BuildCounter()
                       .Name("keyward_apikey_requests_total")
                       .Help("Requests allowed and counted per ApiKey (with --per-key-metrics): "
                             "labels namespace, apikey and template (\"\" without one)")
                       .Register(*registry_);
  webhooks_ = &prometheus::BuildCounter()
                   .Name("keyward_webhook_calls_total")
                   .Help("Calls from kube-apiserver by webhook kind (validate, mutate, "
                         "authenticate, authorize) and result (allowed, denied, no_opinion, "
                         "error = the request was refused as malformed)")
                   .Register(*registry_);
  for (int k = 0; k < kWebhookKinds; ++k) {
    for (int r = 0; r < kWebhookResults; ++r) {
      webhook_counters_[k][r] =
          &webhooks_->Add({{"kind", WebhookKindName(k)}, {"result", WebhookResultName(r)}});
    }
  }
  apikeys_ = &prometheus::BuildGauge()
                  .Name("keyward_apikeys")
                  .Help("ApiKeys in the watch cache by type and phase")
                  .Register(*registry_);
  relists_ = &prometheus::BuildGauge()
                  .Name("keyward_watch_relists")
                  .Help("Full lists of the watches since start (1 per watch is the first list; "
                        "more mean restarts after 410 Gone or errors)")
                  .Register(*registry_)
                  .Add({});
  const prometheus::Histogram::BucketBoundaries buckets{0.00001, 0.00005, 0.0001, 0.0005, 0.001,
                                                        0.005,   0.01,    0.05,   0.1};
  for (int e = 0; e < kCheckEndpoints; ++e) {
    const char* endpoint = CheckEndpointName(static_cast<CheckEndpoint>(e));
    latency_by_endpoint_[e] = &latency_->Add({{"endpoint", endpoint}}, buckets);
    for (int r = 0; r < kCheckReasons; ++r) {
      auto reason = static_cast<CheckReason>(r);
      check_counters_[e][r] = &checks_->Add(
          {{"endpoint", endpoint},
           {"result", reason == CheckReason::kAllowed ? "allowed" : "denied"},
           {"reason", CheckReasonName(reason)}});
    }
  }
  reconcile_ok_ = &reconciles_->Add({{"result", "success"}});
  reconcile_error_ = &reconciles_->Add({{"result", "error"}});
}

Metrics::~Metrics() = default;

void Metrics::RecordCheck(CheckEndpoint endpoint, CheckReason reason, double seconds) {
  const int e = static_cast<int>(endpoint), r = static_cast<int>(reason);
  if (e < 0 || e >= kCheckEndpoints || r < 0 || r >= kCheckReasons) return;
  check_counters_[e][r]->Increment();
  latency_by_endpoint_[e]->Observe(seconds);
}

void Metrics::RecordKeyRequest(const std::string& ns, const std::string& name, const std::string& tpl) {
  key_requests_->Add({{"namespace", ns}, {"apikey", name}, {"template", tpl}}).Increment();
}

void Metrics::RecordReconcile(bool ok) { (ok ? reconcile_ok_ : reconcile_error_)->Increment(); }

void Metrics::RecordWebhook(WebhookKind kind, WebhookResult result) {
  const int k = static_cast<int>(kind), r = static_cast<int>(result);
  if (k < 0 || k >= kWebhookKinds || r < 0 || r >= kWebhookResults) return;
  webhook_counters_[k][r]->Increment();
}

void Metrics::SetApiKeys(const std::string& type, const std::string& phase, double count) {
  apikeys_->Add({{"type", type}, {"phase", phase.empty() ? "Pending" : phase}}).Set(count);
}

void Metrics::SetWatchRelists(double relists) { relists_->Set(relists); }

struct Metrics::ReplicationSeries {
  prometheus::Gauge *leader, *followers, *sync_age;
  prometheus::Counter *ok, *failed;
};

void Metrics::SetReplication(const Replication& r) {
  if (!replication_) {
    auto& syncs = prometheus::BuildCounter()
                      .Name("keyward_replica_syncs_total")
                      .Help("This follower's syncs with the leader by result (ok, failed)")
                      .Register(*registry_);
    auto gauge = [this](const char* name, const char* help) {
      return &prometheus::BuildGauge().Name(name).Help(help).Register(*registry_).Add({});
    };
    replication_ = std::make_unique<ReplicationSeries>(ReplicationSeries{
        gauge("keyward_replica_leader", "1 on the replica that holds the Lease, else 0"),
        gauge("keyward_replica_followers", "On the leader: followers that synced in the last 3 s"),
        gauge("keyward_replica_sync_age_seconds",
              "On a follower: seconds since its last sync with the leader (-1: never; 0 on the leader)"),
        &syncs.Add({{"result", "ok"}}), &syncs.Add({{"result", "failed"}})});
  }
  replication_->leader->Set(r.leader ? 1 : 0);
  replication_->followers->Set(r.followers);
  replication_->sync_age->Set(r.sync_age);
  // Counters only go up: add what was counted since the last scrape.
  if (r.syncs > replication_->ok->Value()) replication_->ok->Increment(r.syncs - replication_->ok->Value());
  if (r.failures > replication_->failed->Value()) {
    replication_->failed->Increment(r.failures - replication_->failed->Value());
  }
}

std::string Metrics::Scrape() {
  if (collect_) collect_(*this);
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace keyward
