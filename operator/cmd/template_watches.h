// The watches beside the ApiKeys': ApiKeyTemplates, ClusterApiKeyTemplates
// and ApiKeyRequests — template lookups, keys woken when their template
// changes, and the request controller's queue.
#pragma once
#include <functional>
#include <string>

#include "api/apikey_template.h"
#include "cmd/run_options.h"
#include "kube/manager.h"

namespace keyward {

class TemplateWatches {
 public:
  TemplateWatches(KubeClient& kube, const RunOptions& options);

  // Parsed from the caches; nullopt when absent or invalid.
  TemplateLookup Lookup() const;
  // The same, asking the API server when the cache does not hold it yet
  // (admission: a template and a request applied together).
  TemplateLookup LookupOrGet(KubeClient& kube) const;

  // Starts the template watches; a change to a template enqueues every
  // ApiKey in |apikeys|' cache that names it.
  void StartTemplates(Manager& apikeys);
  bool TemplatesSynced() const { return templates_.Ready() && cluster_templates_.Ready(); }

  // Starts the requests' watch and workers with |reconcile|.
  void StartRequests(ControllerRunner::ReconcileFn reconcile);
  ObjectPtr GetRequest(const std::string& key) const { return requests_.Get(key); }
  // Every request back on the queue: a new leader picks up pending ones.
  void EnqueueAllRequests() { requests_.EnqueueAll(); }

  void Stop();

 private:
  Manager templates_, cluster_templates_, requests_;
};

}  // namespace keyward
