// An ApiKeyController over a fake API server, for tests: the "watch cache"
// reads the fake's current objects, time and leadership are set by the test.
#pragma once
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "controllers/apikey_controller.h"
#include "base/base64.h"
#include "kube/fake_kube_client.h"
#include "api/manifest.h"

namespace keyward {

using web::json::value;
using namespace std::chrono_literals;

struct FakeEvents : EventRecorder {
  std::vector<std::string> reasons;
  std::vector<std::string> messages;
  void Record(const ObjectReference&, const std::string&, const std::string& reason,
              const std::string& message) override {
    reasons.push_back(reason);
    messages.push_back(message);
  }
};

// A permanent key rotated hourly with a 10-minute overlap.
inline const char* const kHourlySpec =
    "  description: logs\n"
    "  access: [{scope: namespace, namespaces: [prod]}]\n"
    "  rotation: {every: 1h, overlap: 10m}\n";

inline ResourcePath ApiKeyPath(const std::string& name) {
  return {"keyward.io/v1alpha1", "apikeys", "team-a", name, ""};
}
inline ResourcePath SecretPath(const std::string& name) { return {"v1", "secrets", "team-a", name, ""}; }

// A controller over a fake API server, where the "watch cache" reads the
// fake's current objects directly.
struct Harness {
  FakeKubeClient kube;
  static constexpr const char* kPepper = "pepper-for-tests-0123456789abcdef";
  KeyIndex index{kPepper};
  VolatileKeyStore volatile_keys;
  FakeEvents events;
  TimePoint now = *ParseRfc3339("2026-11-22T12:00:00Z");
  bool leader = true;
  std::unique_ptr<ApiKeyController> controller;

  // |customize| changes the controller's env before it is built.
  explicit Harness(const std::function<void(ControllerEnv&)>& customize = nullptr)
      : Harness(kPepper, "", customize) {}
  // A process holding |pepper| (and |previous|, when being rotated out).
  Harness(const std::string& pepper, const std::string& previous,
          const std::function<void(ControllerEnv&)>& customize = nullptr)
      : index(pepper, previous) {
    ControllerEnv env;
    env.kube = &kube;
    env.index = &index;
    env.volatile_keys = &volatile_keys;
    env.events = &events;
    env.now = [this] { return now; };
    env.is_leader = [this] { return leader; };
    env.get_apikey = [this](const std::string& key) -> ObjectPtr {
      if (auto f = frozen.find(key); f != frozen.end()) return std::make_shared<const value>(f->second);
      auto slash = key.find('/');
      value v = kube.Object({"keyward.io/v1alpha1", "apikeys", key.substr(0, slash),
                             key.substr(slash + 1), ""});
      return v.is_null() ? nullptr : std::make_shared<const value>(v);
    };
    if (customize) customize(env);
    controller = std::make_unique<ApiKeyController>(env);
  }

  void Apply(const std::string& name, const std::string& spec_yaml, std::int64_t generation = 1) {
    ManifestLoad load;
    ParseManifestText("apiVersion: keyward.io/v1alpha1\nkind: ApiKey\nmetadata: {name: " + name +
                          ", namespace: team-a, uid: uid-" + name +
                          ", creationTimestamp: '2026-11-22T11:00:00Z'}\nspec:\n" + spec_yaml,
                      "t", &load);
    value obj = load.documents.at(0).object;
    obj["metadata"]["generation"] = value::number(static_cast<int64_t>(generation));
    value old = kube.Object(ApiKeyPath(name));
    if (!old.is_null() && old.has_field("status")) obj["status"] = old.at("status");
    kube.Put(ApiKeyPath(name), obj);
  }

  Action Reconcile(const std::string& name) { return controller->Reconcile("team-a/" + name); }

  // From now on the "watch cache" keeps showing |name| as it is now, while
  // the API server moves on (a cache that lags behind our own writes).
  void Freeze(const std::string& name) { frozen["team-a/" + name] = kube.Object(ApiKeyPath(name)); }
  void Thaw() { frozen.clear(); }
  std::map<std::string, value> frozen;

  value Status(const std::string& name) { return kube.Object(ApiKeyPath(name)).at("status"); }

  std::string SecretKey(const std::string& name) {
    value s = kube.Object(SecretPath(name));
    return *Base64Decode(s.at("data").at("key").as_string());
  }
};

}  // namespace keyward
