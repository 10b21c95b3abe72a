#include <cpprest/json.h>

#include "api/apikey.h"

namespace keyward {

namespace {

// As kube-apiserver sends them (keys sorted, managedFields stripped for the
// cache). The hashes are zeros: the dictionary holds the form, never a digest.
constexpr const char* kSamples[] = {
    R"({"apiVersion":"keyward.io/v1alpha1","kind":"ApiKey","metadata":{"creationTimestamp":"2026-01-01T00:00:00Z","generation":1,"labels":{"app.kubernetes.io/name":"grafana","app.kubernetes.io/part-of":"observability","team":"observability"},"name":"grafana-metrics","namespace":"production","resourceVersion":"100000","uid":"00000000-0000-4000-8000-000000000000"},"spec":{"access":[{"actions":["log","metrics"],"namespaces":["production","staging"],"scope":"namespace"},{"actions":["log"],"namespaces":["production"],"scope":"set","setType":"deployment","sets":["web"]},{"actions":["log"],"containers":["app"],"namespaces":["production"],"pods":["api-*"],"scope":"container"}],"description":"Grafana dashboards poll production metrics, rate limited","disabled":false,"limits":{"perDay":100000,"perMonth":1000000,"perSecond":50},"rotation":{"every":"30d","overlap":"1h"},"secretName":"grafana-keyward-credentials","secretTemplate":{"annotations":{"owner":"observability@example.com"},"labels":{"app.kubernetes.io/name":"grafana"}},"ttl":"365d","type":"permanent"},"status":{"conditions":[{"lastTransitionTime":"2026-01-01T00:00:00Z","message":"minted a permanent key into Secret grafana-metrics-apikey","observedGeneration":1,"reason":"Minted","status":"True","type":"Ready"}],"expiresAt":"2027-01-01T00:00:00Z","keyHash":"hmac-sha256:00000000:0000000000000000000000000000000000000000000000000000000000000000","keyHint":"kw_0000\u20260000","lastRotatedAt":"2026-01-01T00:00:00Z","observedGeneration":1,"phase":"Active","previousKey":{"keyHash":"hmac-sha256:00000000:0000000000000000000000000000000000000000000000000000000000000000","validUntil":"2026-01-01T00:00:00Z"},"lastUsedAt":"2026-01-01T00:00:00Z","secretName":"grafana-metrics-apikey","usage":{"daily":[{"count":100,"date":"2026-01-01"}],"monthly":[{"count":100,"month":"2026-01"}],"thisMonth":100,"today":100,"total":100}}})",
    R"({"apiVersion":"keyward.io/v1alpha1","kind":"ApiKey","metadata":{"creationTimestamp":"2026-01-01T00:00:00Z","generation":1,"name":"log-reader","namespace":"default","resourceVersion":"100000","uid":"00000000-0000-4000-8000-000000000000"},"spec":{"access":[{"actions":["log"],"namespaces":["default"],"scope":"namespace"}],"description":"reads logs","disabled":false,"templateRef":{"kind":"ApiKeyTemplate","name":"logs-reader"},"type":"volatile"},"status":{"conditions":[{"lastTransitionTime":"2026-01-01T00:00:00Z","message":"minted a volatile key (memory only: never in a Secret, status or etcd); read it once: GET /v1/reveal/default/log-reader","observedGeneration":1,"reason":"Minted","status":"True","type":"Ready"},{"lastTransitionTime":"2026-01-01T00:00:00Z","message":"","observedGeneration":1,"reason":"Pending","status":"False","type":"Ready"}],"keyHint":"kw_0000\u20260000","observedGeneration":1,"phase":"Pending"}})",
};

}  // namespace

std::string TypicalApiKeysText() {
  std::string text;
  for (const char* sample : kSamples) text += web::json::value::parse(sample).serialize();
  return text;
}

}  // namespace keyward
