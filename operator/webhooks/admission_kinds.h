// Admission of the kinds beside ApiKey — ApiKeyTemplate, ClusterApiKeyTemplate
// and ApiKeyRequest (approval by SubjectAccessReview) — and shared checks.
#pragma once
#include <cpprest/json.h>

#include <optional>
#include <string>

#include "api/apikey.h"
#include "api/field_error.h"
#include "webhooks/admission.h"

namespace keyward {

// "path: reason; ..." for at most 10 errors.
std::string JoinErrors(const FieldErrors& errors);

// The first access the requesting user of |req| lacks but |object|'s
// spec.access would grant ("get pods/log in namespace x"); "" when none.
// An error when the rules need too many reviews or a review failed.
Result<std::string> FirstEscalation(const AdmissionEnv& env, const web::json::value& req,
                                    const web::json::value& object);

// Whether |req| is an UPDATE that leaves spec as it was (metadata or
// status only): nothing it grants changes, so nothing is reviewed again.
bool SpecUnchanged(const web::json::value& req);

// Why a template (either kind) is refused: invalid fields, or rules that
// grant more than its author may do (FirstEscalation). nullopt: allowed.
std::optional<std::string> TemplateRefusal(const AdmissionEnv& env, const web::json::value& req);

// An ApiKey with spec.templateRef: the template must exist and its creator
// must be allowed to approve requests for it (else a request is the way).
// An update that keeps the spec passes: holders rotate, keyward removes
// finalizers.
std::optional<std::string> TemplateKeyRefusal(const AdmissionEnv& env, const web::json::value& req,
                                              const TemplateRef& ref);

// Why an ApiKeyRequest change is refused. Create: the template exists and
// allows the lifetime. Update: the requester annotation stays. Status
// update: an Approved or Denied condition, once set, stays; adding one
// needs `approve` on the template (SubjectAccessReview of the user).
std::optional<std::string> RequestRefusal(const AdmissionEnv& env, const web::json::value& req);

// The JSON patch for an ApiKeyRequest: on create the requester
// (keyward.io/requested-by), on a status update that decides it the user
// who did (status.decidedBy). An empty array when nothing is stamped.
web::json::value RequestMutation(const web::json::value& req);

}  // namespace keyward
