// The ApiKey reconciler: turns an ApiKey from the watch cache into a key
// (Secret or memory), an index entry and a status. Reconcile is safe to call
// from several workers for different keys; the queue never runs one key twice
// at once. It never sleeps or retries itself: it returns an Action.
#pragma once
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "api/apikey.h"
#include "api/apikey_template.h"
#include "base/status.h"
#include "controllers/key_secret.h"
#include "controllers/reconcile_steps.h"
#include "controllers/secret_checks.h"
#include "kube/controller_runner.h"
#include "kube/event_recorder.h"
#include "keys/key_index.h"
#include "base/rate_limiter.h"
#include "kube/kube_client.h"
#include "kube/object_store.h"
#include "keys/volatile_key_store.h"

namespace keyward {

// Everything a reconcile touches, so tests can fake each piece.
struct ControllerEnv {
  KubeClient* kube = nullptr;
  // The watch cache: the ApiKey object for "namespace/name", or null.
  std::function<ObjectPtr(const std::string&)> get_apikey;
  // The templates' watch cache, for keys with spec.templateRef.
  TemplateLookup templates;
  KeyIndex* index = nullptr;
  VolatileKeyStore* volatile_keys = nullptr;
  EventRecorder* events = nullptr;
  std::function<TimePoint()> now = [] { return Clock::now(); };
  std::function<bool()> is_leader = [] { return true; };
  // How often the leader re-checks that a permanent key's Secret still
  // exists (no Secret watch is needed, so RBAC stays narrow).
  std::chrono::milliseconds secret_check_interval{std::chrono::minutes(5)};
  // The budget of Secret re-checks (periodic, or the first after a
  // restart); a check over it is put off and the key served from status
  // meanwhile, so new keys never queue behind thousands of checks. Null:
  // no budget of its own.
  RateLimiter* secret_checks = nullptr;
  // keyward's own namespace (--namespace). The chart's admission webhooks
  // skip it so keyward can always be repaired; so an ApiKey there would
  // escape the escalation check, the key limit and the creator stamp, and
  // is never minted (Ready False, OperatorNamespace). "": no such rule.
  std::string operator_namespace;
  // Told which template each ApiKey uses (nullopt: none, or the key is
  // gone), as each reconcile reads it. Null: nobody listens.
  std::function<void(const ApiKeyRef&, const std::optional<TemplateRef>&)> uses_template;
};

class ApiKeyController {
 public:
  explicit ApiKeyController(ControllerEnv env) : env_(std::move(env)) {}

  // |key| is "namespace/name".
  Action Reconcile(const std::string& key);

  // Drops every trace of a deleted ApiKey from the index and memory, at once
  // (called from the watch handler, before the queue gets to it).
  void Forget(const ApiKeyRef& ref);

 private:
  Action ReconcileInvalid(const ApiKey& key, const FieldErrors& errors);
  // Phase |phase|, Ready=False with |reason| and |message|, and a Warning
  // event, when that is news.
  Action WriteNotReady(const ApiKey& key, const char* phase, const char* reason,
                       const std::string& message);
  // spec.templateRef names a template that does not exist (yet).
  Action ReconcileNoTemplate(const ApiKey& key);
  Action ReconcileInOperatorNamespace(const ApiKey& key);
  // The template of a key with spec.templateRef, if it exists.
  std::optional<ApiKeyTemplate> TemplateOf(const ApiKey& key) const;
  // status.createdBy from the annotation the mutating webhook stamped.
  static void StampCreator(const ApiKey& key, ApiKeyStatus* status);
  // The Secret's key is not this ApiKey's to use (foreign Secret, no key,
  // a digest another ApiKey holds): drop it from the index and from status.
  void LoseKey(const ApiKeyRef& ref, const std::string& message, ApiKeyStatus* status,
               KeyOutcome* out);
  // The mint step: makes sure the key exists (and rotates it when due),
  // fills the key fields of |status| and indexes the key. A Retry status
  // means an API error; a Secret conflict is reported in |out|.
  Status MintPermanent(const ApiKey& key, TimePoint now, ApiKeyStatus* status, KeyOutcome* out);
  // Reads (or recalls) the Secret of |key|; nullopt when there is nothing
  // to index (conflict, or an error in |error|).
  std::optional<SecretKeyState> SecretOf(const ApiKey& key, TimePoint now, ApiKeyStatus* status,
                                         KeyOutcome* out, Status* error);
  // The key's recorded digest was made with a pepper we do not hold: the
  // Secret's key re-derived it; say so loudly (log, event, condition).
  void NoteForeignPepper(const ApiKey& key, const SecretKeyState& secret, TimePoint now,
                         ApiKeyStatus* status);
  Status RotatePermanent(const ApiKey& key, TimePoint now, SecretKeyState* secret,
                         ApiKeyStatus* status, KeyOutcome* out);
  void MintVolatile(const ApiKey& key, TimePoint now, ApiKeyStatus* status, KeyOutcome* out);
  // The write step: status (when changed) and events, leader only.
  Action WriteStatus(const ApiKey& key, const ApiKeyStatus& status);
  void Event(const ApiKey& key, const EventToRecord& event);

  ControllerEnv env_;
  // What the leader last read or wrote of each permanent key's Secret, so
  // reconciles triggered by our own status writes skip the read until the
  // next periodic check; and the place of each check put off by the budget.
  SecretChecks secret_checks_;
};

}  // namespace keyward
