#include "cmd/template_watches.h"

#include <spdlog/spdlog.h>

#include "controllers/template_status.h"
#include "keys/key_index.h"
#include "kube/json_fields.h"

namespace keyward {

namespace {

ManagerConfig ConfigOf(const char* plural, std::vector<std::string> namespaces) {
  // No Lease: every replica keeps these caches; the request controller
  // writes on the leader only (it asks the ApiKey manager).
  return ManagerConfig{kApiVersion, plural, std::move(namespaces), 1, std::nullopt};
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

void TemplateWatches::StartTemplates(Manager& apikeys, KubeClient& writer) {
  apikeys_ = &apikeys;
  writer_ = &writer;
  ManagerHooks namespaced;
  namespaced.reconcile = [this](const std::string& key) { return ReconcileTemplate(kTemplateKind, key); };
  templates_.Start(std::move(namespaced));
  ManagerHooks cluster;
  cluster.reconcile = [this](const std::string& key) { return ReconcileTemplate(kClusterTemplateKind, key); };
  cluster_templates_.Start(std::move(cluster));
}

Manager& TemplateWatches::ManagerOf(const std::string& template_id) {
  return template_id.rfind(kClusterTemplateKind, 0) == 0 ? cluster_templates_ : templates_;
}

void TemplateWatches::KeyUses(const ApiKeyRef& ref, const std::optional<TemplateRef>& tpl) {
  for (const std::string& id : users_.Set(ref.String(), tpl ? TemplateId(*tpl, ref.namespace_name) : "")) {
    // "ApiKeyTemplate/ns/name" -> "ns/name"; "ClusterApiKeyTemplate/name" -> "name".
    ManagerOf(id).queue().Add(id.substr(id.find('/') + 1));
  }
}

void TemplateWatches::EnqueueAllTemplates() {
  templates_.EnqueueAll();
  cluster_templates_.EnqueueAll();
}

Action TemplateWatches::ReconcileTemplate(const std::string& kind, const std::string& store_key) {
  const bool cluster = kind == kClusterTemplateKind;
  ObjectPtr obj = (cluster ? cluster_templates_ : templates_).Get(store_key);
  const std::string id = kind + "/" + store_key;
  // A new spec (or a deleted template) wakes the keys that use it; before
  // the ApiKeys' workers run, every key is queued by its first list anyway.
  std::string stamp;
  if (obj) {
    stamp = JsonStringOr(*obj, {"metadata", "uid"}) + "/" +
            std::to_string(JsonInt(*obj, {"metadata", "generation"}).value_or(0));
  }
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    std::string& woken = woken_for_[id];
    wake = woken != stamp;
    woken = stamp;
    if (!obj) woken_for_.erase(id);
  }
  if (wake && apikeys_->Ready()) {
    for (const std::string& k : users_.UsersOf(id)) apikeys_->queue().Add(k);
  }
  if (!obj || !apikeys_->IsLeader()) return Action::AwaitChange();
  TemplateStatus status = TemplateStatusOf(*obj, static_cast<std::int64_t>(users_.CountOf(id)));
  std::optional<web::json::value> patch = TemplateStatusPatch(*obj, status, Clock::now());
  if (!patch) return Action::AwaitChange();
  ApiKeyRef ref = cluster ? ApiKeyRef{"", store_key} : ApiKeyRef::FromKey(store_key);
  KubeResult r = writer_->MergePatch({kApiVersion, cluster ? "clusterapikeytemplates" : "apikeytemplates",
                                      ref.namespace_name, ref.name, "status"},
                                     *patch);
  if (r.status.ok() || r.status.NotFound() || r.status.reason == "NotLeader") return Action::AwaitChange();
  return Action::Retry("writing " + kind + " " + store_key + " status: " + r.status.String());
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
