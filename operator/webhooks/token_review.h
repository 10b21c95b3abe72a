// POST /authenticate: Kubernetes TokenReview (authentication.k8s.io/v1). A
// usable keyward key is user keyward:<namespace>:<name>, group
// keyward:apikeys, extra keyward.io/key-id: [KeyIdOf its digest].
#pragma once
#include "server/check_endpoints.h"
#include "server/http_message.h"

namespace keyward {

inline constexpr const char* kKeywardUserPrefix = "keyward:";
inline constexpr const char* kKeywardGroup = "keyward:apikeys";
inline constexpr const char* kKeyIdExtra = "keyward.io/key-id";

// 200 with status.authenticated true or false (any other token, or an
// unusable key: false, with no reason a caller could use); 400 for a body
// that is not a TokenReview.
HttpResponse HandleTokenReview(const CheckEndpointsEnv& env, const HttpRequest& request);

}  // namespace keyward
