// ApiKeyRequest (keyward.io/v1alpha1): a user asks for a key of a template;
// approved (or denied) through a status condition, then issued by keyward.
#pragma once
#include <cpprest/json.h>

#include <string>
#include <vector>

#include "api/apikey.h"
#include "api/field_error.h"

namespace keyward {

inline constexpr const char* kRequestKind = "ApiKeyRequest";
// Stamped at admission from the creating user; copied to status.requestedBy
// (status cannot be written at create) and onto the issued ApiKey.
inline constexpr const char* kRequestedByAnnotation = "keyward.io/requested-by";
// On the issued ApiKey: the request it was issued for.
inline constexpr const char* kRequestLabel = "keyward.io/request";

inline constexpr const char* kApproved = "Approved";
inline constexpr const char* kDenied = "Denied";
inline constexpr const char* kIssued = "Issued";

struct ApiKeyRequestStatus {
  std::string requested_by, decided_by, api_key_name;
  // Pending, Approved, Denied or Issued (RequestPhase), for one STATUS
  // column as `kubectl get csr` has.
  std::string phase;
  std::vector<Condition> conditions;
};

struct ApiKeyRequest {
  ObjectMeta metadata;
  TemplateRef template_ref;
  std::string lifetime;  // "": the template's default
  std::string reason;
  ApiKeyRequestStatus status;
};

ApiKeyRequest ParseApiKeyRequest(const web::json::value& object, FieldErrors* errors);

// Where a request stands, from its conditions: Denied, Issued, Approved
// (not issued yet) or Pending.
const char* RequestPhase(const ApiKeyRequestStatus& status);

// The condition of |type| with status True, or null.
const Condition* TrueCondition(const std::vector<Condition>& conditions, const std::string& type);

}  // namespace keyward
