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
#include "base/time_format.h"
#include "kube/kube_client.h"
#include "server/http_message.h"
#include "server/metrics.h"

namespace keyward {

inline constexpr const char* kCreatedByAnnotation = "keyward.io/created-by";

// Whether a user may read pod logs in a namespace ("" = every namespace).
class LogAccessReviewer {
 public:
  virtual ~LogAccessReviewer() = default;
  // |user_info| is the AdmissionReview's request.userInfo.
  virtual Result<bool> MayReadLogs(const web::json::value& user_info, const std::string& ns) = 0;
  // Whether the user may `approve` on the template (its requests).
  virtual Result<bool> MayApprove(const web::json::value& user_info, const TemplateRef& tpl,
                                  const std::string& ns) {
    (void)user_info, (void)tpl, (void)ns;
    return false;
  }
};

// A SubjectAccessReview through the API for get pods/log.
class ApiLogAccessReviewer : public LogAccessReviewer {
 public:
  explicit ApiLogAccessReviewer(KubeClient& kube) : kube_(kube) {}
  Result<bool> MayReadLogs(const web::json::value& user_info, const std::string& ns) override;
  Result<bool> MayApprove(const web::json::value& user_info, const TemplateRef& tpl,
                          const std::string& ns) override;

 private:
  Result<bool> Review(const web::json::value& user_info, const web::json::value& attributes);
  KubeClient& kube_;
};

struct AdmissionEnv {
  LogAccessReviewer* reviewer = nullptr;
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
// on create or update, one that reaches a namespace where the requesting
// user may not read pod logs (the message names it). Deletes pass.
HttpResponse HandleValidate(const AdmissionEnv& env, const HttpRequest& request);

// On create, stamps the requesting user into metadata.annotations
// keyward.io/created-by (status cannot be set at create); the controller
// copies it to status.createdBy.
HttpResponse HandleMutate(const AdmissionEnv& env, const HttpRequest& request);

// The namespaces a SubjectAccessReview must cover for |key_object|'s rules:
// exact names as they are, "" (every namespace) for cluster scope or a glob.
std::vector<std::string> NamespacesToReview(const web::json::value& key_object);

}  // namespace keyward
