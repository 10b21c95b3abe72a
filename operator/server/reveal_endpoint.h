// GET /v1/reveal/<namespace>/<name>: a volatile key, once, to a caller whose
// bearer token the API server authenticates and allows get apikeys/reveal.
#pragma once
#include <string>

#include "keys/volatile_key_store.h"
#include "kube/kube_client.h"
#include "server/http_message.h"

namespace keyward {

// Who a bearer token is and whether it may reveal one ApiKey's key.
struct RevealPermission {
  enum class Outcome { kAllowed, kUnauthenticated, kForbidden, kUnavailable } outcome =
      Outcome::kUnauthenticated;
  std::string user;     // when authenticated
  std::string message;  // never the token
};

class RevealAuthorizer {
 public:
  virtual ~RevealAuthorizer() = default;
  virtual RevealPermission Check(const std::string& token, const ApiKeyRef& ref) = 0;
};

// TokenReview, then SubjectAccessReview (get keyward.io apikeys/reveal in
// the ApiKey's namespace, on its name), both created through the API.
class ApiRevealAuthorizer : public RevealAuthorizer {
 public:
  explicit ApiRevealAuthorizer(KubeClient& kube) : kube_(kube) {}
  RevealPermission Check(const std::string& token, const ApiKeyRef& ref) override;

 private:
  KubeClient& kube_;
};

// 200 {"apiKey":{...},"key":"kw_…"} with Cache-Control: no-store, once;
// 401 without a usable bearer token; 403 naming the user and the missing
// permission; 404 when no volatile key of that name is held by this replica
// (permanent keys live in their Secret); 410 after the one reveal.
HttpResponse HandleReveal(RevealAuthorizer& authorizer, VolatileKeyStore& keys,
                          const HttpRequest& request);

}  // namespace keyward
