#include "webhooks/admission_kinds.h"

#include "api/apikey_request.h"
#include "api/apikey_template.h"
#include "kube/json_fields.h"

namespace keyward {

using web::json::value;

std::string JoinErrors(const FieldErrors& errors) {
  std::string out;
  for (std::size_t i = 0; i < errors.size() && i < 10; ++i) {
    out += (i ? "; " : "") + errors[i].String();
  }
  if (errors.size() > 10) out += "; and " + std::to_string(errors.size() - 10) + " more";
  return out;
}

Result<std::string> FirstEscalation(const AdmissionEnv& env, const value& req, const value& object) {
  const value* user = JsonAt(req, {"userInfo"});
  if (!user || !env.reviewer) return std::string();
  Result<std::vector<AccessReview>> reviews = AccessReviewsFor(object);
  if (!reviews.ok()) return reviews.status();
  for (const AccessReview& review : *reviews) {
    Result<bool> may = env.reviewer->May(*user, review);
    if (!may.ok()) return Status::Error("cannot check your access: " + may.error());
    if (!*may) return review.Describe() + " in " + review.Where();
  }
  return std::string();
}

bool SpecUnchanged(const value& req) {
  if (JsonStringOr(req, {"operation"}) != "UPDATE") return false;
  const value* before = JsonAt(req, {"oldObject", "spec"});
  const value* after = JsonAt(req, {"object", "spec"});
  return before && after && *before == *after;
}

namespace {

std::string UserOf(const value& req) { return JsonStringOr(req, {"userInfo", "username"}); }

std::string Describe(const TemplateRef& ref, const std::string& ns) {
  return ref.kind + " " + ref.name + (ref.cluster() ? "" : " in namespace " + ns);
}

// Whether the user of |req| may approve for |ref|; the refusal otherwise.
std::optional<std::string> ApproverRefusal(const AdmissionEnv& env, const value& req,
                                           const TemplateRef& ref, const std::string& ns,
                                           const std::string& what) {
  const value* user = JsonAt(req, {"userInfo"});
  if (!env.reviewer || !user) return "cannot check your access: no reviewer";
  Result<bool> may = env.reviewer->MayApprove(*user, ref, ns);
  if (!may.ok()) return "cannot check your access: " + may.error();
  if (*may) return std::nullopt;
  const std::string resource = ref.cluster() ? "clusterapikeytemplates" : "apikeytemplates";
  return "user " + UserOf(req) + " may not " + what + " for " + Describe(ref, ns) +
         ": that needs the verb approve on " + resource + ".keyward.io named " + ref.name +
         (ref.cluster() ? "" : " in namespace " + ns) +
         (ref.cluster() ? " (ClusterRole keyward-clusterapikeytemplates-admin)"
                        : " (ClusterRole keyward-apikeys-admin)");
}

const Condition* Find(const std::vector<Condition>& conditions, const char* type) {
  for (const Condition& c : conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

// Which decision (Approved/Denied) the update adds; the refusal when it
// changes or removes one already made.
std::optional<std::string> DecisionChange(const ApiKeyRequest& old_req, const ApiKeyRequest& new_req,
                                          bool* decides) {
  *decides = false;
  if (!old_req.status.decided_by.empty() && new_req.status.decided_by != old_req.status.decided_by) {
    return std::string("status.decidedBy: set by keyward when the request was decided; it cannot be "
                       "changed or removed");
  }
  for (const char* type : {kApproved, kDenied}) {
    const Condition* before = Find(old_req.status.conditions, type);
    const Condition* after = Find(new_req.status.conditions, type);
    if (before && (!after || after->status != before->status)) {
      return std::string("status.conditions: the ") + type + " condition cannot be changed or "
             "removed once set: create a new request";
    }
    if (!before && after) *decides = true;
  }
  if (TrueCondition(new_req.status.conditions, kApproved) && TrueCondition(new_req.status.conditions, kDenied)) {
    return std::string("status.conditions: a request cannot be both Approved and Denied");
  }
  return std::nullopt;
}

std::optional<std::string> StatusRefusal(const AdmissionEnv& env, const value& req,
                                         const ApiKeyRequest& old_req, const ApiKeyRequest& new_req) {
  bool decides = false;
  if (auto changed = DecisionChange(old_req, new_req, &decides)) return changed;
  if (!decides) return std::nullopt;
  return ApproverRefusal(env, req, new_req.template_ref, new_req.metadata.namespace_name,
                         "approve or deny requests");
}

std::string Annotation(const ObjectMeta& meta, const char* name) {
  auto it = meta.annotations.find(name);
  return it == meta.annotations.end() ? "" : it->second;
}

}  // namespace

std::optional<std::string> TemplateRefusal(const AdmissionEnv& env, const value& req) {
  const value* object = JsonAt(req, {"object"});
  if (!object) return "request.object: required";
  const std::string kind = JsonStringOr(*object, {"kind"});
  FieldErrors errors = CheckApiKeyTemplateObject(*object);
  if (!errors.empty()) return "invalid " + kind + ": " + JoinErrors(errors);
  if (SpecUnchanged(req)) return std::nullopt;
  Result<std::string> escalation = FirstEscalation(env, req, *object);
  if (!escalation.ok()) return escalation.error();
  if (!escalation->empty()) {
    return "user " + UserOf(req) + " may not " + *escalation + ": an " + kind +
           " cannot grant more than its author may do";
  }
  return std::nullopt;
}

std::optional<std::string> TemplateKeyRefusal(const AdmissionEnv& env, const value& req,
                                              const TemplateRef& ref) {
  const std::string ns = JsonStringOr(req, {"namespace"});
  if (env.templates && !env.templates(ns, ref)) {
    return "spec.templateRef: " + Describe(ref, ns) + " not found";
  }
  // A holder's rotation request or the garbage collector's finalizer
  // removal keeps the spec: it was approved when it was written.
  if (SpecUnchanged(req)) return std::nullopt;
  return ApproverRefusal(env, req, ref, ns, "create ApiKeys");
}

std::optional<std::string> RequestRefusal(const AdmissionEnv& env, const value& req) {
  const value* object = JsonAt(req, {"object"});
  if (!object) return "request.object: required";
  FieldErrors errors;
  ApiKeyRequest request = ParseApiKeyRequest(*object, &errors);
  if (!errors.empty()) return "invalid ApiKeyRequest: " + JoinErrors(errors);
  const std::string op = JsonStringOr(req, {"operation"});
  const std::string ns = request.metadata.namespace_name.empty() ? JsonStringOr(req, {"namespace"})
                                                                  : request.metadata.namespace_name;
  if (op == "UPDATE") {
    FieldErrors ignored;
    const value* old_object = JsonAt(req, {"oldObject"});
    if (!old_object) return "request.oldObject: required on update";
    ApiKeyRequest old_req = ParseApiKeyRequest(*old_object, &ignored);
    if (JsonStringOr(req, {"subResource"}) == "status") return StatusRefusal(env, req, old_req, request);
    if (Annotation(old_req.metadata, kRequestedByAnnotation) !=
        Annotation(request.metadata, kRequestedByAnnotation)) {
      return std::string("metadata.annotations[") + kRequestedByAnnotation +
             "]: set by keyward from the user who created the request; it cannot be changed";
    }
    return std::nullopt;
  }
  if (!env.templates) return std::nullopt;
  std::optional<ApiKeyTemplate> tpl = env.templates(ns, request.template_ref);
  if (!tpl) return "spec.templateRef: " + Describe(request.template_ref, ns) + " not found";
  if (!ChosenLifetime(tpl->spec, request.lifetime)) {
    std::string allowed;
    for (const std::string& l : tpl->spec.allowed_lifetimes) allowed += (allowed.empty() ? "" : ", ") + l;
    return "spec.lifetime: \"" + request.lifetime + "\" is not allowed by " +
           Describe(request.template_ref, ns) + ": choose one of " + allowed;
  }
  return std::nullopt;
}

value RequestMutation(const value& req) {
  value patch = value::array();
  const std::string op = JsonStringOr(req, {"operation"});
  const std::string user = UserOf(req);
  value add;
  add["op"] = value::string("add");
  if (op == "CREATE" && JsonStringOr(req, {"subResource"}).empty()) {
    if (JsonObject(req, {"object", "metadata", "annotations"})) {
      add["path"] = value::string("/metadata/annotations/keyward.io~1requested-by");
      add["value"] = value::string(user);
    } else {
      add["path"] = value::string("/metadata/annotations");
      add["value"][kRequestedByAnnotation] = value::string(user);
    }
    patch[0] = add;
    return patch;
  }
  if (op != "UPDATE" || JsonStringOr(req, {"subResource"}) != "status") return patch;
  const value* object = JsonAt(req, {"object"});
  const value* old_object = JsonAt(req, {"oldObject"});
  if (!object || !old_object) return patch;
  FieldErrors ignored;
  bool decides = false;
  if (DecisionChange(ParseApiKeyRequest(*old_object, &ignored), ParseApiKeyRequest(*object, &ignored),
                     &decides) || !decides) {
    return patch;
  }
  if (!JsonObject(*object, {"status"})) {
    add["path"] = value::string("/status");
    add["value"]["decidedBy"] = value::string(user);
  } else {
    add["path"] = value::string("/status/decidedBy");
    add["value"] = value::string(user);
  }
  patch[0] = add;
  return patch;
}

}  // namespace keyward
