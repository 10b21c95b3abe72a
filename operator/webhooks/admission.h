// POST /validate and POST /mutate: AdmissionReview v1 for ApiKey (the same
// validation as `keyward validate`, a per-namespace limit, no escalation,
// the creator stamped), and for templates and requests (admission_kinds.h).
#pragma once
#include <cpprest/json.h>

#include <functional>
#include <string>
#include <vector>

#include "api/apikey_template.h"
#include "base/status.h"
#include "webhooks/access_reviews.h"
#include "base/time_format.h"
#include "kube/kube_client.h"
#include "server/http_message.h"
#include "server/metrics.h"

namespace keyward {

inline constexpr const char* kCreatedByAnnotation = "keyward.io/created-by";

// Reviews of what a user may do: the escalation check (access_reviews.h)
// and approval on a template.
class AdmissionReviewer : public AccessReviewer {
 public:
  // Whether the user may `approve` on the template (its requests).
  virtual Result<bool> MayApprove(const web::json::value& user_info, const TemplateRef& tpl,
                                  const std::string& ns) {
    (void)user_info, (void)tpl, (void)ns;
    return false;
  }
};

// Each review a SubjectAccessReview through the API.
class ApiAdmissionReviewer : public AdmissionReviewer {
 public:
  explicit ApiAdmissionReviewer(KubeClient& kube) : kube_(kube) {}
  Result<bool> May(const web::json::value& user_info, const AccessReview& review) override;
  Result<bool> MayApprove(const web::json::value& user_info, const TemplateRef& tpl,
                          const std::string& ns) override;

 private:
  Result<bool> Review(const web::json::value& user_info, const web::json::value& attributes);
  KubeClient& kube_;
};

struct AdmissionEnv {
  AdmissionReviewer* reviewer = nullptr;
  // ApiKeys in a namespace now (from the watch cache).
  std::function<int(const std::string& ns)> count_in_namespace;
  int max_keys_per_namespace = 100;
  std::function<TimePoint()> now = [] { return Clock::now(); };
  Metrics* metrics = nullptr;  // optional: counts calls by kind and result
  // The templates' watch cache (requests and keys with spec.templateRef).
  TemplateLookup templates;
};

// Refuses, with every field path and reason (at most 10), an ApiKey that
// `keyward validate` refuses; on create, one over the namespace's limit;
// on create or a spec change, one that grants an action in a namespace
// where the requesting user lacks the RBAC it stands for (access_reviews.h;
// the message names both). An update that keeps the spec (a rotation
// request, a finalizer removed) is not reviewed again. Deletes pass.
HttpResponse HandleValidate(const AdmissionEnv& env, const HttpRequest& request);

// On create, stamps the requesting user into metadata.annotations
// keyward.io/created-by (status cannot be set at create); the controller
// copies it to status.createdBy.
HttpResponse HandleMutate(const AdmissionEnv& env, const HttpRequest& request);

}  // namespace keyward
