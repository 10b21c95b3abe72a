#include "controllers/request_controller.h"

#include <spdlog/spdlog.h>

namespace keyward {

using web::json::value;

namespace {

constexpr std::chrono::seconds kTemplateRecheck{30};

// Sets condition |type| (lastTransitionTime moves only when status does).
void SetCondition(std::vector<Condition>* conditions, const std::string& type, bool ok,
                  const std::string& reason, const std::string& message, std::int64_t generation,
                  TimePoint now) {
  const std::string status = ok ? "True" : "False";
  for (Condition& c : *conditions) {
    if (c.type != type) continue;
    if (c.status != status) c.last_transition_time = FormatRfc3339(now);
    c.status = status;
    c.reason = reason;
    c.message = message;
    c.observed_generation = generation;
    return;
  }
  conditions->push_back({type, status, reason, message, FormatRfc3339(now), generation});
}

bool SameStatus(const ApiKeyRequestStatus& a, const ApiKeyRequestStatus& b) {
  if (a.requested_by != b.requested_by || a.decided_by != b.decided_by || a.phase != b.phase ||
      a.api_key_name != b.api_key_name || a.conditions.size() != b.conditions.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.conditions.size(); ++i) {
    const Condition& x = a.conditions[i];
    const Condition& y = b.conditions[i];
    if (x.type != y.type || x.status != y.status || x.reason != y.reason || x.message != y.message) {
      return false;
    }
  }
  return true;
}

value StatusPatch(const ApiKeyRequestStatus& s) {
  value st = value::object();
  if (!s.requested_by.empty()) st["requestedBy"] = value::string(s.requested_by);
  if (!s.decided_by.empty()) st["decidedBy"] = value::string(s.decided_by);
  if (!s.api_key_name.empty()) st["apiKeyRef"]["name"] = value::string(s.api_key_name);
  if (!s.phase.empty()) st["phase"] = value::string(s.phase);
  value conditions = value::array();
  for (std::size_t i = 0; i < s.conditions.size(); ++i) {
    const Condition& c = s.conditions[i];
    value v;
    v["type"] = value::string(c.type);
    v["status"] = value::string(c.status);
    // Fields an approver left out stay out: a decision is written back as it was.
    if (!c.reason.empty()) v["reason"] = value::string(c.reason);
    if (!c.message.empty()) v["message"] = value::string(c.message);
    if (!c.last_transition_time.empty()) v["lastTransitionTime"] = value::string(c.last_transition_time);
    if (c.observed_generation) v["observedGeneration"] = value::number(static_cast<int64_t>(c.observed_generation));
    conditions[i] = v;
  }
  st["conditions"] = conditions;
  value patch;
  patch["status"] = st;
  return patch;
}

std::string TemplateText(const TemplateRef& ref) { return ref.kind + " " + ref.name; }

}  // namespace

value IssuedApiKey(const ApiKeyRequest& request, const ApiKeyTemplate& tpl, const std::string& lifetime) {
  value key;
  key["apiVersion"] = value::string(kApiVersion);
  key["kind"] = value::string(kKind);
  value& meta = key["metadata"];
  meta["name"] = value::string(request.metadata.name);
  meta["namespace"] = value::string(request.metadata.namespace_name);
  meta["labels"][kRequestLabel] = value::string(request.metadata.name);
  meta["annotations"][kRequestedByAnnotation] = value::string(request.status.requested_by);
  value owner;
  owner["apiVersion"] = value::string(kApiVersion);
  owner["kind"] = value::string(kRequestKind);
  owner["name"] = value::string(request.metadata.name);
  owner["uid"] = value::string(request.metadata.uid);
  owner["controller"] = value::boolean(true);
  meta["ownerReferences"][0] = owner;
  value& spec = key["spec"];
  std::string description = tpl.spec.description;
  if (!request.status.requested_by.empty()) description += " (for " + request.status.requested_by + ")";
  if (description.size() > 256) {  // the field's limit (in characters; bytes are stricter)
    description.resize(256);
    while (!description.empty() && (description.back() & 0xC0) == 0x80) description.pop_back();
    if (!description.empty() && (description.back() & 0x80)) description.pop_back();  // a cut lead byte
  }
  spec["description"] = value::string(description);
  spec["type"] = value::string(KeyTypeName(tpl.spec.type));
  spec["templateRef"]["kind"] = value::string(tpl.kind);
  spec["templateRef"]["name"] = value::string(tpl.metadata.name);
  if (auto ttl = LifetimeTtl(lifetime)) spec["ttl"] = value::string(*ttl);
  if (!tpl.spec.fields.empty() && tpl.spec.type == KeyType::kPermanent) {
    value descriptions = value::object();
    for (const TemplateField& f : tpl.spec.fields) {
      spec["secretTemplate"]["data"][f.name] = value::string(f.value);
      if (!f.description.empty()) descriptions[f.name] = value::string(f.description);
    }
    spec["secretTemplate"]["annotations"]["keyward.io/fields"] = value::string(descriptions.serialize());
  }
  return key;
}

void RequestController::Event(const ApiKeyRequest& req, const std::string& type,
                              const std::string& reason, const std::string& message) {
  if (!env_.events || !env_.is_leader()) return;
  env_.events->Record({kApiVersion, kRequestKind, req.metadata.namespace_name, req.metadata.name,
                       req.metadata.uid},
                      type, reason, message);
}

Action RequestController::Write(const ApiKeyRequest& req, ApiKeyRequestStatus status, Action then) {
  status.phase = RequestPhase(status);
  if (SameStatus(req.status, status)) return then;
  ResourcePath path{kApiVersion, "apikeyrequests", req.metadata.namespace_name, req.metadata.name,
                    "status"};
  // A merge patch replaces the whole conditions array: conditional on the
  // resourceVersion read, so an Approved or Denied written meanwhile (by an
  // approver, with or without the webhook) fails the write instead of
  // being erased; the next pass reads it.
  value patch = StatusPatch(status);
  if (!req.metadata.resource_version.empty()) {
    patch["metadata"]["resourceVersion"] = value::string(req.metadata.resource_version);
  }
  KubeResult r = env_.kube->MergePatch(path, patch);
  if (r.status.NotFound()) return Action::AwaitChange();
  if (r.status.Conflict()) return Action::Retry("ApiKeyRequest changed meanwhile; reading it again");
  if (!r.status.ok()) return Action::Retry("writing ApiKeyRequest status: " + r.status.String());
  return then;
}

Action RequestController::Issue(const ApiKeyRequest& req, const ApiKeyTemplate& tpl,
                                ApiKeyRequestStatus* status) {
  const auto gen = req.metadata.generation;
  std::optional<std::string> lifetime = ChosenLifetime(tpl.spec, req.lifetime);
  if (!lifetime) {
    SetCondition(&status->conditions, kIssued, false, "LifetimeNotAllowed",
                 "lifetime \"" + req.lifetime + "\" is not one " + TemplateText(tpl.Ref()) +
                     " allows: create a new request with one of its spec.lifetimes.allowed",
                 gen, env_.now());
    return Write(req, *status, Action::AwaitChange());
  }
  const std::string& ns = req.metadata.namespace_name;
  KubeResult made = env_.kube->Create({kApiVersion, "apikeys", ns, "", ""}, IssuedApiKey(req, tpl, *lifetime));
  if (made.status.AlreadyExists()) {
    made = env_.kube->Get({kApiVersion, "apikeys", ns, req.metadata.name, ""});
    bool ours = false;
    if (made.status.ok() && made.body.has_field("metadata")) {
      const value& meta = made.body.at("metadata");
      if (meta.has_field("ownerReferences") && meta.at("ownerReferences").is_array()) {
        for (const value& o : meta.at("ownerReferences").as_array()) {
          ours |= o.has_field("uid") && o.at("uid").is_string() && o.at("uid").as_string() == req.metadata.uid;
        }
      }
    }
    if (made.status.ok() && !ours) {
      SetCondition(&status->conditions, kIssued, false, "NameTaken",
                   "an ApiKey named " + req.metadata.name + " already exists in " + ns +
                       " and was not issued for this request: delete it or request under another name",
                   gen, env_.now());
      Event(req, "Warning", "NameTaken", status->conditions.back().message);
      return Write(req, *status, Action::Requeue(kTemplateRecheck));
    }
  }
  if (!made.status.ok()) {
    // Refused (the namespace's key limit, a webhook) or the API is away:
    // the request says why, and it is tried again with backoff.
    std::string why = "creating ApiKey " + req.metadata.name + ": " + made.status.String();
    SetCondition(&status->conditions, kIssued, false, "IssueFailed", why, gen, env_.now());
    Action written = Write(req, *status, Action::Retry(why));
    return written.failed() ? written : Action::Retry(why);
  }
  status->api_key_name = req.metadata.name;
  const std::string message = "ApiKey " + req.metadata.name + " issued from " + TemplateText(tpl.Ref()) +
                              " with lifetime " + *lifetime;
  if (!TrueCondition(status->conditions, kIssued)) Event(req, "Normal", "Issued", message);
  SetCondition(&status->conditions, kIssued, true, "Issued", message, gen, env_.now());
  return Write(req, *status, Action::AwaitChange());
}

Action RequestController::Reconcile(const std::string& store_key) {
  ObjectPtr obj = env_.get_request(store_key);
  if (!obj) return Action::AwaitChange();
  FieldErrors errors;
  ApiKeyRequest req = ParseApiKeyRequest(*obj, &errors);
  if (req.metadata.deleting) return Action::AwaitChange();
  // Followers only watch: the leader decides and writes (a new leader
  // queues every request again).
  if (!env_.is_leader()) return Action::AwaitChange();
  if (TrueCondition(req.status.conditions, kIssued)) {
    // Done; one write only for a request issued before status.phase existed.
    return Write(req, req.status, Action::AwaitChange());
  }
  ApiKeyRequestStatus status = req.status;
  if (auto by = req.metadata.annotations.find(kRequestedByAnnotation); by != req.metadata.annotations.end()) {
    status.requested_by = by->second;
  }
  req.status.requested_by = status.requested_by;  // IssuedApiKey names the holder
  const auto gen = req.metadata.generation;
  if (const Condition* denied = TrueCondition(status.conditions, kDenied)) {
    std::string by = status.decided_by.empty() ? "" : " by " + status.decided_by;
    std::string why = denied->message.empty() ? "" : ": " + denied->message;
    std::string message = "denied" + by + why + "; no ApiKey is issued";
    SetCondition(&status.conditions, kIssued, false, "Denied", message, gen, env_.now());
    if (!SameStatus(req.status, status)) Event(req, "Warning", "Denied", message);
    return Write(req, status, Action::AwaitChange());
  }
  if (!errors.empty()) {
    SetCondition(&status.conditions, kIssued, false, "Invalid", errors.front().String(), gen, env_.now());
    return Write(req, status, Action::AwaitChange());
  }
  std::optional<ApiKeyTemplate> tpl;
  if (env_.templates) tpl = env_.templates(req.metadata.namespace_name, req.template_ref);
  if (!tpl) {
    std::string where = req.template_ref.cluster() ? "" : " in namespace " + req.metadata.namespace_name;
    SetCondition(&status.conditions, kIssued, false, "TemplateNotFound",
                 TemplateText(req.template_ref) + " not found" + where, gen, env_.now());
    return Write(req, status, Action::Requeue(kTemplateRecheck));
  }
  if (TrueCondition(status.conditions, kApproved)) return Issue(req, *tpl, &status);
  if (!tpl->spec.automatic_approval) {
    SetCondition(&status.conditions, kIssued, false, "Pending",
                 "waiting for approval: keyward approve -n " + req.metadata.namespace_name + " " +
                     req.metadata.name,
                 gen, env_.now());
    return Write(req, status, Action::AwaitChange());
  }
  SetCondition(&status.conditions, kApproved, true, "AutoApproved",
               TemplateText(tpl->Ref()) + " approves requests automatically", gen, env_.now());
  Event(req, "Normal", "Approved", status.conditions.back().message);
  // Issued on the next pass, once the approval is stored (the watch brings it).
  return Write(req, status, Action::AwaitChange());
}

}  // namespace keyward
