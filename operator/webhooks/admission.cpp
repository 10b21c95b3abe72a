#include "webhooks/admission.h"

#include <optional>

#include "api/apikey.h"
#include "api/apikey_request.h"
#include "api/validation.h"
#include "base/base64.h"
#include "kube/json_fields.h"
#include "webhooks/admission_kinds.h"

namespace keyward {

using web::json::value;

namespace {

HttpResponse Review(const std::string& uid, bool allowed, const std::string& message,
                    const std::string& patch = "") {
  value response;
  response["uid"] = value::string(uid);
  response["allowed"] = value::boolean(allowed);
  if (!allowed) {
    response["status"]["code"] = value::number(403);
    response["status"]["reason"] = value::string("Forbidden");
    response["status"]["message"] = value::string(message);
  }
  if (!patch.empty()) {
    response["patchType"] = value::string("JSONPatch");
    response["patch"] = value::string(Base64Encode(patch));
  }
  value review;
  review["apiVersion"] = value::string("admission.k8s.io/v1");
  review["kind"] = value::string("AdmissionReview");
  review["response"] = response;
  HttpResponse r;
  r.body = review.serialize();
  return r;
}

// The AdmissionReview's request, or an error response.
Result<value> ParseReview(const HttpRequest& request) {
  if (request.method != "POST") return Status::Error("use POST with an AdmissionReview");
  value body;
  try {
    body = value::parse(std::string(request.body));
  } catch (const std::exception&) {
    return Status::Error("body must be an AdmissionReview (JSON)");
  }
  const value* req = JsonAt(body, {"request"});
  if (!req || !req->is_object() || !JsonString(*req, {"uid"})) {
    return Status::Error("request.uid: required");
  }
  return *req;
}

}  // namespace

Result<bool> ApiAdmissionReviewer::Review(const value& user_info, const value& attributes) {
  value sar;
  sar["apiVersion"] = value::string("authorization.k8s.io/v1");
  sar["kind"] = value::string("SubjectAccessReview");
  sar["spec"]["user"] = value::string(JsonStringOr(user_info, {"username"}));
  if (auto uid = JsonString(user_info, {"uid"})) sar["spec"]["uid"] = value::string(*uid);
  if (const value* groups = JsonAt(user_info, {"groups"}); groups && groups->is_array()) {
    sar["spec"]["groups"] = *groups;
  }
  if (const value* extra = JsonAt(user_info, {"extra"}); extra && extra->is_object()) {
    sar["spec"]["extra"] = *extra;
  }
  sar["spec"]["resourceAttributes"] = attributes;
  KubeResult r = kube_.Create({"authorization.k8s.io/v1", "subjectaccessreviews", "", "", ""}, sar);
  if (!r.status.ok()) return Status::Error("SubjectAccessReview: " + r.status.String());
  return JsonBool(r.body, {"status", "allowed"}).value_or(false);
}

Result<bool> ApiAdmissionReviewer::May(const value& user_info, const AccessReview& review) {
  value attrs;
  if (!review.namespace_name.empty()) attrs["namespace"] = value::string(review.namespace_name);
  attrs["verb"] = value::string(review.verb);
  if (!review.group.empty()) attrs["group"] = value::string(review.group);
  attrs["resource"] = value::string(review.resource);
  if (!review.subresource.empty()) attrs["subresource"] = value::string(review.subresource);
  if (!review.name.empty()) attrs["name"] = value::string(review.name);
  return Review(user_info, attrs);
}

Result<bool> ApiAdmissionReviewer::MayApprove(const value& user_info, const TemplateRef& tpl,
                                              const std::string& ns) {
  value attrs;
  if (!tpl.cluster()) attrs["namespace"] = value::string(ns);
  attrs["verb"] = value::string("approve");
  attrs["group"] = value::string(kApiGroup);
  attrs["resource"] = value::string(tpl.cluster() ? "clusterapikeytemplates" : "apikeytemplates");
  attrs["name"] = value::string(tpl.name);
  return Review(user_info, attrs);
}

namespace {

// Why |req| (an AdmissionReview's request) is refused; nullopt: allowed.
std::optional<std::string> Refusal(const AdmissionEnv& env, const value& req) {
  const std::string op = JsonStringOr(req, {"operation"});
  if (op != "CREATE" && op != "UPDATE") return std::nullopt;
  const std::string kind = JsonStringOr(req, {"kind", "kind"}, kKind);
  if (kind == kTemplateKind || kind == kClusterTemplateKind) return TemplateRefusal(env, req);
  if (kind == kRequestKind) return RequestRefusal(env, req);
  if (kind != kKind) return "keyward does not admit kind " + kind + ": check the webhook's rules";
  const value* object = JsonAt(req, {"object"});
  if (!object) return "request.object: required";
  FieldErrors errors = CheckApiKeyObject(*object, env.now(), op == "CREATE");
  if (const value* old = JsonAt(req, {"oldObject"}); op == "UPDATE" && old && old->is_object()) {
    FieldErrors ignored;
    ApiKey before = ParseApiKey(*old, &ignored);
    ApiKey after = ParseApiKey(*object, &ignored);
    FieldErrors update = ValidateApiKeyUpdate(before, after);
    errors.insert(errors.end(), update.begin(), update.end());
    // The creator stamp decides who the key acts for: once set, fixed.
    auto was = before.metadata.annotations.find(kCreatedByAnnotation);
    auto is = after.metadata.annotations.find(kCreatedByAnnotation);
    if (was != before.metadata.annotations.end() && !was->second.empty() &&
        (is == after.metadata.annotations.end() || is->second != was->second)) {
      errors.push_back({std::string("metadata.annotations[") + kCreatedByAnnotation + "]",
                        "set by keyward from the user who created the ApiKey; it cannot be changed or removed"});
    }
  }
  if (!errors.empty()) return "invalid ApiKey: " + JoinErrors(errors);
  const std::string ns = JsonStringOr(req, {"namespace"});
  if (op == "CREATE" && env.count_in_namespace) {
    if (int n = env.count_in_namespace(ns); n >= env.max_keys_per_namespace) {
      return "namespace " + ns + " has " + std::to_string(n) + " ApiKeys; the limit is " +
             std::to_string(env.max_keys_per_namespace) + " (--max-keys-per-namespace)";
    }
  }
  if (JsonObject(*object, {"spec", "templateRef"})) {
    FieldErrors ignored;  // checked above
    std::optional<TemplateRef> ref = ParseApiKey(*object, &ignored).spec.template_ref;
    return TemplateKeyRefusal(env, req, ref.value_or(TemplateRef{}));
  }
  if (SpecUnchanged(req)) return std::nullopt;  // a rotation request, a finalizer removed
  Result<std::string> escalation = FirstEscalation(env, req, *object);
  if (!escalation.ok()) return escalation.error();
  if (!escalation->empty()) {
    return "user " + JsonStringOr(req, {"userInfo", "username"}) + " may not " + *escalation +
           ": an ApiKey cannot grant more than its creator may do";
  }
  return std::nullopt;
}

void Count(const AdmissionEnv& env, WebhookKind kind, WebhookResult result) {
  if (env.metrics) env.metrics->RecordWebhook(kind, result);
}

}  // namespace

HttpResponse HandleValidate(const AdmissionEnv& env, const HttpRequest& request) {
  Result<value> req = ParseReview(request);
  if (!req.ok()) {
    Count(env, WebhookKind::kValidate, WebhookResult::kError);
    return JsonError(400, req.error());
  }
  std::optional<std::string> refusal = Refusal(env, *req);
  Count(env, WebhookKind::kValidate, refusal ? WebhookResult::kDenied : WebhookResult::kAllowed);
  return Review(JsonStringOr(*req, {"uid"}), !refusal, refusal.value_or(""));
}

HttpResponse HandleMutate(const AdmissionEnv& env, const HttpRequest& request) {
  Result<value> req = ParseReview(request);
  if (!req.ok()) {
    Count(env, WebhookKind::kMutate, WebhookResult::kError);
    return JsonError(400, req.error());
  }
  Count(env, WebhookKind::kMutate, WebhookResult::kAllowed);  // it only ever stamps
  const std::string uid = JsonStringOr(*req, {"uid"});
  if (JsonStringOr(*req, {"kind", "kind"}, kKind) == kRequestKind) {
    value patch = RequestMutation(*req);
    return Review(uid, true, "", patch.size() ? patch.serialize() : "");
  }
  if (JsonStringOr(*req, {"operation"}) != "CREATE" ||
      JsonStringOr(*req, {"kind", "kind"}, kKind) != kKind) {
    return Review(uid, true, "");
  }
  value patch = value::array();
  value op;
  op["op"] = value::string("add");
  const std::string user = JsonStringOr(*req, {"userInfo", "username"});
  if (JsonObject(*req, {"object", "metadata", "annotations"})) {
    op["path"] = value::string("/metadata/annotations/keyward.io~1created-by");
    op["value"] = value::string(user);
  } else {
    op["path"] = value::string("/metadata/annotations");
    op["value"][kCreatedByAnnotation] = value::string(user);
  }
  patch[0] = op;
  return Review(uid, true, "", patch.serialize());
}

}  // namespace keyward
