#include "api/pepper.h"

#include "base/base64.h"
#include "kube/json_fields.h"
#include "keys/key_hash.h"

namespace keyward {

using web::json::value;

namespace {

Result<std::string> PepperFrom(const value& secret) {
  if (auto data = JsonString(secret, {"data", "pepper"})) {
    auto decoded = Base64Decode(*data);
    if (decoded && decoded->size() >= 16) return *decoded;
  }
  return Status::Error("pepper Secret has no valid data.pepper (at least 16 bytes); delete it only if no "
           "permanent keys exist yet, since every key hash depends on it");
}

}  // namespace

Result<std::string> LoadPepper(KubeClient& client, const std::string& namespace_name,
                               const std::string& name) {
  KubeResult got = client.Get(ResourcePath{"v1", "secrets", namespace_name, name, ""});
  if (got.status.ok()) return PepperFrom(got.body);
  return Status::Error("reading pepper Secret " + namespace_name + "/" + name + ": " + got.status.String() +
           (got.status.NotFound() ? " (has keyward run ever started with this --namespace?)" : ""));
}

Result<std::string> LoadOrCreatePepper(KubeClient& client, const std::string& namespace_name,
                                       const std::string& name) {
  ResourcePath path{"v1", "secrets", namespace_name, name, ""};
  for (int attempt = 0; attempt < 3; ++attempt) {
    KubeResult got = client.Get(path);
    if (got.status.ok()) return PepperFrom(got.body);
    if (!got.status.NotFound()) {
      return Status::Error("reading pepper Secret " + namespace_name + "/" + name + ": " + got.status.String());
    }
    value secret;
    secret["apiVersion"] = value::string("v1");
    secret["kind"] = value::string("Secret");
    secret["metadata"]["name"] = value::string(name);
    secret["metadata"]["namespace"] = value::string(namespace_name);
    secret["metadata"]["labels"]["app.kubernetes.io/managed-by"] = value::string("keyward");
    secret["type"] = value::string("keyward.io/pepper");
    secret["immutable"] = value::boolean(true);
    std::string pepper = NewPepper();
    secret["data"]["pepper"] = value::string(Base64Encode(pepper));
    KubeResult created = client.Create(ResourcePath{"v1", "secrets", namespace_name, "", ""}, secret);
    if (created.status.ok()) return pepper;
    if (!created.status.AlreadyExists()) {
      return Status::Error("creating pepper Secret " + namespace_name + "/" + name + ": " +
               created.status.String());
    }
    // Another replica won the race: read theirs.
  }
  return Status::Error("pepper Secret " + namespace_name + "/" + name + " kept changing");
}

}  // namespace keyward
