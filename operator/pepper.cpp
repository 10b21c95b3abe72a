#include "pepper.h"

#include "base64.h"
#include "key_hash.h"

namespace keyward {

using web::json::value;

namespace {

std::optional<std::string> PepperFrom(const value& secret, std::string* error) {
  if (secret.has_field("data") && secret.at("data").has_field("pepper") &&
      secret.at("data").at("pepper").is_string()) {
    auto decoded = Base64Decode(secret.at("data").at("pepper").as_string());
    if (decoded && decoded->size() >= 16) return decoded;
  }
  *error = "pepper Secret has no valid data.pepper (at least 16 bytes); delete it only if no "
           "permanent keys exist yet, since every key hash depends on it";
  return std::nullopt;
}

}  // namespace

std::optional<std::string> LoadPepper(KubeClient& client, const std::string& namespace_name,
                                      const std::string& name, std::string* error) {
  KubeResult got = client.Get(ResourcePath{"v1", "secrets", namespace_name, name, ""});
  if (got.status.ok()) return PepperFrom(got.body, error);
  *error = "reading pepper Secret " + namespace_name + "/" + name + ": " + got.status.String() +
           (got.status.NotFound() ? " (has keyward run ever started with this --namespace?)" : "");
  return std::nullopt;
}

std::optional<std::string> LoadOrCreatePepper(KubeClient& client, const std::string& namespace_name,
                                              const std::string& name, std::string* error) {
  ResourcePath path{"v1", "secrets", namespace_name, name, ""};
  for (int attempt = 0; attempt < 3; ++attempt) {
    KubeResult got = client.Get(path);
    if (got.status.ok()) return PepperFrom(got.body, error);
    if (!got.status.NotFound()) {
      *error = "reading pepper Secret " + namespace_name + "/" + name + ": " + got.status.String();
      return std::nullopt;
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
      *error = "creating pepper Secret " + namespace_name + "/" + name + ": " +
               created.status.String();
      return std::nullopt;
    }
    // Another replica won the race: read theirs.
  }
  *error = "pepper Secret " + namespace_name + "/" + name + " kept changing";
  return std::nullopt;
}

}  // namespace keyward
