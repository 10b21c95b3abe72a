// The ApiKeyRequest reconciler: approves requests of Automatic templates and
// issues one ApiKey (owned by the request) for each approved request.
#pragma once
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "api/apikey_request.h"
#include "api/apikey_template.h"
#include "kube/controller_runner.h"
#include "kube/event_recorder.h"
#include "kube/kube_client.h"
#include "kube/object_store.h"

namespace keyward {

struct RequestControllerEnv {
  KubeClient* kube = nullptr;
  // The requests' watch cache: the object for "namespace/name", or null.
  std::function<ObjectPtr(const std::string&)> get_request;
  TemplateLookup templates;
  EventRecorder* events = nullptr;
  std::function<TimePoint()> now = [] { return Clock::now(); };
  std::function<bool()> is_leader = [] { return true; };
};

// The ApiKey issued for |request| from |tpl| with |lifetime|: same name and
// namespace, owned by the request, the template as its role, the lifetime
// as its ttl, the template's fields as Secret data. Pure.
web::json::value IssuedApiKey(const ApiKeyRequest& request, const ApiKeyTemplate& tpl,
                              const std::string& lifetime);

class RequestController {
 public:
  explicit RequestController(RequestControllerEnv env) : env_(std::move(env)) {}

  // |key| is "namespace/name".
  Action Reconcile(const std::string& key);

 private:
  // Approved: creates the ApiKey (or finds the one it made) and says so.
  Action Issue(const ApiKeyRequest& req, const ApiKeyTemplate& tpl, ApiKeyRequestStatus* status);
  // Writes |status| (its phase derived from its conditions) unless nothing
  // changed; then |then|.
  Action Write(const ApiKeyRequest& req, ApiKeyRequestStatus status, Action then);
  void Event(const ApiKeyRequest& req, const std::string& type, const std::string& reason,
             const std::string& message);

  RequestControllerEnv env_;
};

}  // namespace keyward
