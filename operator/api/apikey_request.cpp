#include "api/apikey_request.h"

#include "api/object_reader.h"

namespace keyward {

using web::json::value;

ApiKeyRequest ParseApiKeyRequest(const value& object, FieldErrors* errors) {
  ApiKeyRequest req;
  ObjectReader root(object, "", errors);
  if (!root.ok()) {
    errors->push_back({"(root)", "an ApiKeyRequest must be a JSON object"});
    return req;
  }
  if (const value* m = root.Get("metadata")) ParseMetadata(*m, &req.metadata, errors);
  static const value kNull = value::null();
  const value* spec_value = root.Get("spec");
  ObjectReader spec(spec_value ? *spec_value : kNull, "spec", errors);
  if (!spec.ok()) errors->push_back({"spec", "required"});
  spec.RejectUnknown({"templateRef", "lifetime", "reason"});
  if (const value* ref = spec.Get("templateRef")) {
    ObjectReader rr(*ref, "spec.templateRef", errors);
    rr.RejectUnknown({"kind", "name"});
    req.template_ref.kind = rr.String("kind").value_or(kTemplateKind);
    req.template_ref.name = rr.String("name").value_or("");
    if (req.template_ref.kind != kTemplateKind && req.template_ref.kind != kClusterTemplateKind) {
      rr.Error("spec.templateRef.kind", "unsupported value \"" + req.template_ref.kind +
                                            "\": want ApiKeyTemplate or ClusterApiKeyTemplate");
    }
  }
  if (req.template_ref.name.empty()) {
    errors->push_back({"spec.templateRef.name", "required: the template to request a key of"});
  }
  req.lifetime = spec.String("lifetime").value_or("");
  req.reason = spec.String("reason").value_or("");
  FieldErrors ignored;  // status is written by keyward and approvers
  const value* st = root.Get("status");
  ObjectReader status(st ? *st : kNull, "status", &ignored);
  req.status.requested_by = status.String("requestedBy").value_or("");
  req.status.decided_by = status.String("decidedBy").value_or("");
  req.status.phase = status.String("phase").value_or("");
  if (const value* key = status.Get("apiKeyRef")) {
    ObjectReader kr(*key, "status.apiKeyRef", &ignored);
    req.status.api_key_name = kr.String("name").value_or("");
  }
  if (const value* cs = status.Get("conditions")) req.status.conditions = ParseConditions(*cs);
  return req;
}

const Condition* TrueCondition(const std::vector<Condition>& conditions, const std::string& type) {
  for (const Condition& c : conditions) {
    if (c.type == type && c.status == "True") return &c;
  }
  return nullptr;
}

const char* RequestPhase(const ApiKeyRequestStatus& status) {
  if (TrueCondition(status.conditions, kDenied)) return kDenied;
  if (TrueCondition(status.conditions, kIssued)) return kIssued;
  if (TrueCondition(status.conditions, kApproved)) return kApproved;
  return "Pending";
}

}  // namespace keyward
