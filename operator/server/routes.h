// Which handler serves which path, on the HTTPS port and on the plain
// metrics port.
#pragma once
#include <functional>

#include "server/check_endpoints.h"
#include "server/http_message.h"
#include "server/metrics.h"

namespace keyward {

// The HTTPS port: /v1/check, /v1/auth; 404 for anything else.
HttpHandler SecureRoutes(CheckEndpointsEnv env);

// The plain port: /metrics, /healthz (the process serves), /readyz (caches
// synced and the index built: |ready|).
HttpHandler MetricsRoutes(Metrics* metrics, std::function<bool()> ready);

}  // namespace keyward
