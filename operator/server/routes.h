// Which handler serves which path, on the HTTPS port and on the plain
// metrics port.
#pragma once
#include <functional>
#include <string_view>

#include "server/check_endpoints.h"
#include "server/http_message.h"
#include "server/metrics.h"

namespace keyward {

// The HTTPS port: /v1/check, /v1/auth; 404 for anything else.
HttpHandler SecureRoutes(CheckEndpointsEnv env);

// The HTTPS paths whose handlers call the API server (the TokenReview of
// /v1/reveal, the SubjectAccessReviews of /validate and /mutate, opening a
// pod's log for /v1/logs): they run on the listener's blocking pool.
bool WaitsOnApiServer(std::string_view path);

// The plain port: /metrics, /healthz (the process serves), /readyz (caches
// synced and the index built: |ready|).
HttpHandler MetricsRoutes(Metrics* metrics, std::function<bool()> ready);

}  // namespace keyward
