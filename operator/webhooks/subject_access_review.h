// POST /authorize: Kubernetes SubjectAccessReview (authorization.k8s.io/v1).
// keyward users may read pods and pods/log inside their key's scope.
#pragma once
#include "server/check_endpoints.h"
#include "server/http_message.h"

namespace keyward {

// For user keyward:<namespace>:<name> in group keyward:apikeys whose extra
// keyward.io/key-id names one of that ApiKey's current keys (as
// /authenticate said): get/list/watch of pods and get of pods/log (action
// "log") inside the key's scope are allowed, everything else is denied
// (status.denied, so no other authorizer grants it); a key id that is no
// longer current (rotated out, deleted) is denied. Every other user, and a
// keyward:… name without that group and extra: no opinion (allowed false,
// denied false). Container and
// filter scopes never pass here: the API server cannot narrow a log read to
// a container or apply a filter. 400 for a body that is not a review.
HttpResponse HandleSubjectAccessReview(const CheckEndpointsEnv& env, const HttpRequest& request);

}  // namespace keyward
