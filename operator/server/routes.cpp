#include "server/routes.h"

namespace keyward {

namespace {

HttpResponse Text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  return r;
}

}  // namespace

bool WaitsOnApiServer(std::string_view path) {
  return path == "/validate" || path == "/mutate" || path.rfind("/v1/reveal/", 0) == 0 ||
         path.rfind("/v1/logs/", 0) == 0;
}

HttpHandler SecureRoutes(CheckEndpointsEnv env) {
  return [env = std::move(env)](const HttpRequest& request) -> HttpResponse {
    if (request.path == "/v1/check") return HandleCheck(env, request);
    if (request.path == "/v1/auth") {
      if (request.method != "GET" && request.method != "POST" && request.method != "HEAD") {
        return JsonError(405, "use GET or POST");
      }
      return HandleForwardAuth(env, request);
    }
    return JsonError(404, "no such endpoint (see docs/endpoints.md)");
  };
}

HttpHandler MetricsRoutes(Metrics* metrics, std::function<bool()> ready) {
  return [metrics, ready = std::move(ready)](const HttpRequest& request) -> HttpResponse {
    if (request.path == "/healthz") return Text(200, "ok\n");
    if (request.path == "/readyz") {
      return ready() ? Text(200, "ok\n") : Text(503, "caches not synced yet\n");
    }
    if (request.path == "/metrics" && metrics) {
      HttpResponse r = Text(200, metrics->Scrape());
      r.content_type = "text/plain; version=0.0.4; charset=utf-8";
      return r;
    }
    return Text(404, "not found: /metrics, /healthz and /readyz live here\n");
  };
}

}  // namespace keyward
