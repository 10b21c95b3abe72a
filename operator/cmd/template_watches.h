// The watches beside the ApiKeys': ApiKeyTemplates, ClusterApiKeyTemplates
// and ApiKeyRequests — template lookups, keys woken when their template
// changes, and the request controller's queue.
#pragma once
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "api/apikey_template.h"
#include "cmd/run_options.h"
#include "controllers/template_users.h"
#include "keys/key_index.h"
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

  // Starts the template watches. A change to a template's spec (or its
  // deletion) enqueues the ApiKeys that use it; while |apikeys| leads, each
  // template's status (Ready, observedGeneration, keysIssued) is written
  // through |writer|.
  void StartTemplates(Manager& apikeys, KubeClient& writer);
  // ApiKey |ref| uses |tpl| now (nullopt: none, or gone), as its reconcile
  // read it: the templates whose count changed get their status rewritten.
  void KeyUses(const ApiKeyRef& ref, const std::optional<TemplateRef>& tpl);
  // Every template's status again (this replica became the leader).
  void EnqueueAllTemplates();
  bool TemplatesSynced() const { return templates_.Ready() && cluster_templates_.Ready(); }

  // Starts the requests' watch and workers with |reconcile|.
  void StartRequests(ControllerRunner::ReconcileFn reconcile);
  ObjectPtr GetRequest(const std::string& key) const { return requests_.Get(key); }
  // Every request back on the queue: a new leader picks up pending ones.
  void EnqueueAllRequests() { requests_.EnqueueAll(); }

  void Stop();

 private:
  Action ReconcileTemplate(const std::string& kind, const std::string& store_key);
  Manager& ManagerOf(const std::string& template_id);

  Manager templates_, cluster_templates_, requests_;
  TemplateUsers users_;
  Manager* apikeys_ = nullptr;
  KubeClient* writer_ = nullptr;
  std::mutex mu_;
  // uid/generation of each template whose keys were last woken for it:
  // status writes (a new resourceVersion, the same generation) wake nobody.
  std::map<std::string, std::string> woken_for_;  // guarded by mu_
};

}  // namespace keyward
