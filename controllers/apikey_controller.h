// The ApiKey reconciler: turns an ApiKey from the watch cache into a key
// (Secret or memory), an index entry and a status. Reconcile is safe to call
// from several workers for different keys; the queue never runs one key twice
// at once. It never sleeps or retries itself: it returns an Action.
#pragma once
#include <chrono>
#include <functional>
#include <mutex>
#include <unordered_map>
#include <optional>
#include <string>

#include "apikey.h"
#include "controller_runner.h"
#include "event_recorder.h"
#include "key_index.h"
#include "kube_client.h"
#include "object_store.h"
#include "volatile_key_store.h"

namespace keyward {

// What the runtime should do after a reconcile: requeue_after (nullopt:
// await change), or failed with an error (never containing a key).
using Action = ReconcileOutcome;

// Everything a reconcile touches, so tests can fake each piece.
struct ControllerEnv {
  KubeClient* kube = nullptr;
  // The watch cache: the ApiKey object for "namespace/name", or null.
  std::function<ObjectPtr(const std::string&)> get_apikey;
  KeyIndex* index = nullptr;
  VolatileKeyStore* volatile_keys = nullptr;
  EventRecorder* events = nullptr;
  std::function<TimePoint()> now = [] { return Clock::now(); };
  std::function<bool()> is_leader = [] { return true; };
  // How often the leader re-checks that a permanent key's Secret still
  // exists (no Secret watch is needed, so RBAC stays narrow).
  std::chrono::milliseconds secret_check_interval{std::chrono::minutes(5)};
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
  struct KeyMaterial;
  Action ReconcileInvalid(const ApiKey& key, const FieldErrors& errors);
  // What happened to the key material in one reconcile.
  struct KeyOutcome {
    bool minted = false;   // a new key (first, or after a lost Secret/memory)
    bool lost = false;     // a volatile key had to be re-minted after a restart
    bool rotated = false;  // rotation replaced the key
    std::string mint_message;
    std::optional<TimePoint> next_rotation;
  };
  Action ReconcilePermanent(const ApiKey& key, ApiKeyStatus* status, KeyOutcome* out);
  void ReconcileVolatile(const ApiKey& key, ApiKeyStatus* status, KeyOutcome* out);
  // Puts |current| and, while it is valid, the previous key into the index.
  void IndexKeys(const ApiKeyRef& ref, const KeyDigest& current,
                 std::optional<std::pair<KeyDigest, TimePoint>> previous, TimePoint now);
  Action WriteStatus(const ApiKey& key, const ApiKeyStatus& status);
  void Event(const ApiKey& key, const std::string& type, const std::string& reason,
             const std::string& message);

  // When the leader last saw each permanent key's Secret ("ns/name" ->
  // time, digest), so reconciles triggered by our own status writes skip the
  // read until the next periodic check.
  bool SecretRecentlyVerified(const ApiKeyRef& ref, const KeyDigest& digest, TimePoint now);
  void MarkSecretVerified(const ApiKeyRef& ref, const KeyDigest& digest, TimePoint now);

  ControllerEnv env_;
  std::mutex verified_mu_;
  std::unordered_map<std::string, std::pair<TimePoint, KeyDigest>> verified_;
};

}  // namespace keyward
