// What an ApiKey's or template's rules grant, as the RBAC its author must
// hold: one SubjectAccessReview per (namespace, action) the rules reach.
#pragma once
#include <cpprest/json.h>

#include <cstddef>
#include <string>
#include <vector>

#include "base/status.h"

namespace keyward {

// The resource attributes of one SubjectAccessReview.
struct AccessReview {
  std::string namespace_name;  // "" = every namespace (cluster scope or a glob)
  std::string verb, group, resource, subresource, name;

  // "get pods/log", "list events", "grant actions.keyward.io named ops".
  std::string Describe() const;
  // "namespace team-a", "every namespace".
  std::string Where() const;
  bool operator<(const AccessReview& o) const;
  bool operator==(const AccessReview& o) const;
};

// What an action stands for in RBAC (namespace left empty):
//   log     -> get pods/log
//   events  -> list events
//   metrics -> get pods.metrics.k8s.io
//   any other name -> grant actions.keyward.io named after it
//   *       -> each of the above, and grant on every actions.keyward.io
std::vector<AccessReview> RbacForAction(const std::string& action);

// More reviews than this for one write are refused rather than sent: each
// is a call to the API server while kube-apiserver waits for the answer.
inline constexpr std::size_t kMaxAccessReviews = 128;

// The reviews |object|'s spec.access needs, de-duplicated: exact namespaces
// as they are, "" for cluster scope or a glob, and a namespace's review left
// out when the same access is reviewed for every namespace. An error (with
// the count) when there are more than kMaxAccessReviews.
Result<std::vector<AccessReview>> AccessReviewsFor(const web::json::value& object);

// Whether a user may do what one AccessReview asks.
class AccessReviewer {
 public:
  virtual ~AccessReviewer() = default;
  // |user_info| is the AdmissionReview's request.userInfo.
  virtual Result<bool> May(const web::json::value& user_info, const AccessReview& review) = 0;
};

}  // namespace keyward
