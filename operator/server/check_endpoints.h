// POST /v1/check (JSON) and GET|POST /v1/auth (forward-auth for nginx
// auth_request, Traefik ForwardAuth, Envoy ext_authz): one decision each.
#pragma once
#include <functional>

#include "check/check_service.h"
#include "server/forward_auth_path.h"
#include "server/http_message.h"
#include "server/metrics.h"

namespace keyward {

struct CheckEndpointsEnv {
  CheckService* service = nullptr;
  Metrics* metrics = nullptr;  // optional
  std::function<TimePoint()> now = [] { return Clock::now(); };
  bool per_key_metrics = false;  // keyward_apikey_requests_total{namespace,apikey,template}
  // --forward-auth-path: forward-auth's target from the original URI the
  // proxy forwards; X-Keyward-Namespace/-Pod/-Container/-Action are ignored.
  const ForwardAuthPath* forward_auth_path = nullptr;
};

// Body {key?, namespace, pod?, container?, action?} (set/setType are
// accepted and ignored: keyward resolves owners itself); the key in the
// body or the Authorization header. 200 with the decision; 400 for a bad
// body; 401 when no key is presented. Unusable keys (malformed, unknown,
// disabled, expired) all get {"allowed":false,"reason":"unauthenticated"}.
HttpResponse HandleCheck(const CheckEndpointsEnv& env, const HttpRequest& request);

// Key from Authorization; target from the original URI (X-Original-URI or
// X-Forwarded-Uri) matched against env.forward_auth_path when one is set,
// else from X-Keyward-Namespace, -Pod, -Container and -Action; 400 for a
// target that is not a Kubernetes name or none at all. 200 / 401 / 403 /
// 429 with X-RateLimit-Remaining-{Second,Day,Month} and, on 429,
// Retry-After. On 200, X-Keyward-ApiKey, X-Keyward-Scope and X-Keyward-Filter
// tell the upstream who was let in and which filter to apply.
HttpResponse HandleForwardAuth(const CheckEndpointsEnv& env, const HttpRequest& request);

}  // namespace keyward
