// KubeClient over HTTPS with cpprestsdk's http_client: TLS verified against
// the config's CA, client certificates or bearer tokens, a client-side token
// bucket, Status errors mapped to KubeStatus. Thread-safe.
#pragma once
#include <cpprest/http_client.h>

#include <chrono>
#include <functional>
#include <filesystem>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "kube/kube_client.h"
#include "kube/credentials.h"
#include "kube/kube_config.h"
#include "base/rate_limiter.h"

namespace keyward {

// Blocking calls: each waits for the rate limiter, then for the answer (30 s
// without progress at most; a watch up to timeout_seconds + 30 s idle). Do
// not call from a pplx continuation: the calls .get() on pplx tasks.
// Accept headers: full objects, or metadata only (PartialObjectMetadata,
// for caches that need names, labels and owners but not specs).
inline constexpr const char* kAcceptJson = "application/json";
inline constexpr const char* kAcceptMetadata =
    "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json";
inline constexpr const char* kAcceptMetadataList =
    "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";

class HttpKubeClient : public KubeClient {
 public:
  // Never fails: a bad CA/certificate shows up as a Transport status on
  // every request. |timeout|: no progress for that long fails a request.
  HttpKubeClient(KubeConfig config, double qps, int burst,
                 std::chrono::seconds timeout = std::chrono::seconds(30));

  // Checked for every create, update, patch and delete after the rate
  // limiter let it through, right before it is sent: false fails the call
  // with reason NotLeader and nothing is sent. Set before first use.
  void SetWriteGate(std::function<bool()> may_write) { may_write_ = std::move(may_write); }
  // "keyward" unless set, e.g. "keyward/0.1.0 (replica-a)": audit logs tell
  // replicas apart, and field managers stay "keyward" (the part before '/').
  void SetUserAgent(std::string user_agent) { user_agent_ = std::move(user_agent); }
  // Acts as |user| (Impersonate-User, like kubectl --as); "" = as oneself
  // (or as the config's as_user).
  void SetImpersonate(std::string user) { impersonate_ = std::move(user); }

  HttpKubeClient(const HttpKubeClient&) = delete;
  HttpKubeClient& operator=(const HttpKubeClient&) = delete;

  KubeResult Get(const ResourcePath& path) override;
  KubeResult List(const ResourcePath& path, const ListOptions& options) override;
  KubeTextResult ListText(const ResourcePath& path, const ListOptions& options) override;
  KubeResult Create(const ResourcePath& path, const web::json::value& object) override;
  KubeResult Update(const ResourcePath& path, const web::json::value& object) override;
  KubeResult MergePatch(const ResourcePath& path, const web::json::value& patch) override;
  KubeResult Delete(const ResourcePath& path, const DeleteOptions& options) override;
  // Reads the chunked body line by line as it arrives. When it returns (for
  // any reason) the connection is closed, never left streaming.
  KubeStatus Watch(const ResourcePath& path, const WatchOptions& options,
                   const WatchHandler& handler, pplx::cancellation_token cancel) override;

 private:
  web::http::client::http_client_config MakeConfig(std::chrono::seconds timeout,
                                                  const Credential& credential) const;
  web::http::http_request NewRequest(const web::http::method& method, const std::string& url,
                                     const char* accept, const Credential& credential);
  // The client for ordinary requests, made again when the credential's
  // certificate changes (an exec plugin gave a new one).
  std::shared_ptr<web::http::client::http_client> ClientFor(const Credential& credential);
  KubeTextResult SendOnce(const web::http::method& method, const std::string& url,
                          const web::json::value* body, const std::string& content_type,
                          const std::string& accept, Credential* used);
  KubeResult Send(const web::http::method& method, const std::string& url,
                  const web::json::value* body, const std::string& content_type = "",
                  const std::string& accept = kAcceptJson);
  // Send() without decoding the body: the HTTP code (0: no answer, the
  // status says why) and the text.
  KubeTextResult SendText(const web::http::method& method, const std::string& url,
                          const web::json::value* body, const std::string& content_type,
                          const std::string& accept);

  const KubeConfig config_;
  RateLimiter limiter_;
  const std::chrono::seconds timeout_;
  const std::shared_ptr<CredentialSource> credentials_;
  std::mutex client_mu_;
  std::shared_ptr<web::http::client::http_client> client_;  // guarded by client_mu_; watches get their own
  std::string client_cert_;                                 // guarded by client_mu_: the one client_ presents
  std::function<bool()> may_write_;
  std::string user_agent_ = "keyward";
  std::string impersonate_;
};

// "?a=b&c=d" with every value percent-encoded; "" for no parameters.
std::string QueryString(const std::vector<std::pair<std::string, std::string>>& params);

// The request URLs (path and query) for a list page and a watch.
std::string ListUrl(const ResourcePath& path, const ListOptions& options);
std::string WatchUrl(const ResourcePath& path, const WatchOptions& options);

// Reads a Kubernetes Status object (or any error body, even null) into
// KubeStatus; the reason defaults from the HTTP code when the body has none.
KubeStatus StatusFromResponse(int http_code, const web::json::value& body);

}  // namespace keyward
