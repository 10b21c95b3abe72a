#include "cmd/template_watches.h"

#include "keys/key_index.h"
#include "kube/json_fields.h"

namespace keyward {

namespace {

ManagerConfig ConfigOf(const char* plural, std::vector<std::string> namespaces) {
  // No Lease: every replica keeps these caches; the request controller
  // writes on the leader only (it asks the ApiKey manager).
  return ManagerConfig{kApiVersion, plural, std::move(namespaces), 1, std::nullopt};
}

// Every ApiKey in |apikeys| whose spec.templateRef names |kind| |name| (in
// namespace |ns| for a namespaced template) goes back on its queue.
void EnqueueUsers(Manager& apikeys, const std::string& kind, const std::string& ns,
                  const std::string& name) {
  // Before the ApiKeys' workers run, every key is queued by its first list
  // and reads its template then: walking every key for each listed
  // template would decode N keys T times at start for nothing.
  if (!apikeys.Ready()) return;
  std::vector<std::string> keys;
  apikeys.ForEach([&](const web::json::value& key) {
    if (JsonStringOr(key, {"spec", "templateRef", "name"}) != name) return;
    if (JsonStringOr(key, {"spec", "templateRef", "kind"}, kTemplateKind) != kind) return;
    const std::string key_ns = JsonStringOr(key, {"metadata", "namespace"});
    if (kind == kTemplateKind && key_ns != ns) return;
    keys.push_back(key_ns + "/" + JsonStringOr(key, {"metadata", "name"}));
  });
  for (const std::string& k : keys) apikeys.queue().Add(k);
}

}  // namespace

TemplateWatches::TemplateWatches(KubeClient& kube, const RunOptions& o)
    : templates_(kube, ConfigOf("apikeytemplates", o.watch_namespaces)),
      cluster_templates_(kube, ConfigOf("clusterapikeytemplates", {})),
      requests_(kube, ConfigOf("apikeyrequests", o.watch_namespaces)) {}

TemplateLookup TemplateWatches::Lookup() const {
  return [this](const std::string& ns, const TemplateRef& ref) -> std::optional<ApiKeyTemplate> {
    ObjectPtr obj = ref.cluster() ? cluster_templates_.Get(ref.name) : templates_.Get(ns + "/" + ref.name);
    if (!obj) return std::nullopt;
    FieldErrors errors;
    ApiKeyTemplate tpl = ParseApiKeyTemplate(*obj, &errors);
    if (!errors.empty()) return std::nullopt;
    return tpl;
  };
}

TemplateLookup TemplateWatches::LookupOrGet(KubeClient& kube) const {
  return [cached = Lookup(), &kube](const std::string& ns,
                                    const TemplateRef& ref) -> std::optional<ApiKeyTemplate> {
    if (auto tpl = cached(ns, ref)) return tpl;
    KubeResult got = kube.Get({kApiVersion, ref.cluster() ? "clusterapikeytemplates" : "apikeytemplates",
                               ref.cluster() ? "" : ns, ref.name, ""});
    if (!got.status.ok()) return std::nullopt;
    FieldErrors errors;
    ApiKeyTemplate tpl = ParseApiKeyTemplate(got.body, &errors);
    if (!errors.empty()) return std::nullopt;
    return tpl;
  };
}

void TemplateWatches::StartTemplates(Manager& apikeys) {
  ManagerHooks namespaced;
  namespaced.reconcile = [&apikeys](const std::string& key) {
    ApiKeyRef ref = ApiKeyRef::FromKey(key);
    EnqueueUsers(apikeys, kTemplateKind, ref.namespace_name, ref.name);
    return Action::AwaitChange();
  };
  templates_.Start(std::move(namespaced));
  ManagerHooks cluster;
  cluster.reconcile = [&apikeys](const std::string& key) {
    EnqueueUsers(apikeys, kClusterTemplateKind, "", key);
    return Action::AwaitChange();
  };
  cluster_templates_.Start(std::move(cluster));
}

void TemplateWatches::StartRequests(ControllerRunner::ReconcileFn reconcile) {
  ManagerHooks hooks;
  hooks.reconcile = std::move(reconcile);
  requests_.Start(std::move(hooks));
}

void TemplateWatches::Stop() {
  requests_.Stop();
  templates_.Stop();
  cluster_templates_.Stop();
}

}  // namespace keyward
