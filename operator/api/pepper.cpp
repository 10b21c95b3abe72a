#include "api/pepper.h"

#include "base/base64.h"
#include "kube/json_fields.h"
#include "keys/key_hash.h"

#include <openssl/crypto.h>

namespace keyward {

using web::json::value;

Peppers::~Peppers() {
  OPENSSL_cleanse(current.data(), current.size());
  OPENSSL_cleanse(previous.data(), previous.size());
}

namespace {

std::optional<std::string> DecodedPepper(const value& secret, const char* field) {
  auto data = JsonString(secret, {"data", field});
  if (!data) return std::nullopt;
  auto decoded = Base64Decode(*data);
  if (decoded && decoded->size() >= 16) return decoded;
  if (decoded) OPENSSL_cleanse(decoded->data(), decoded->size());
  return std::string();  // present but not a pepper
}

Result<Peppers> PepperFrom(const value& secret) {
  Peppers peppers;
  auto current = DecodedPepper(secret, "pepper");
  if (!current || current->empty()) {
    return Status::Error("pepper Secret has no valid data.pepper (at least 16 bytes); every key "
                         "digest depends on it: restore it from a backup, or see docs/operations.md "
                         "for what replacing it does");
  }
  peppers.current = std::move(*current);
  auto previous = DecodedPepper(secret, "previous");
  if (previous && previous->empty()) {
    return Status::Error("pepper Secret's data.previous is not a pepper (at least 16 bytes)");
  }
  if (previous) peppers.previous = std::move(*previous);
  return peppers;
}

Result<Peppers> PepperFromWiped(value& secret) {
  Result<Peppers> peppers = PepperFrom(secret);
  WipeJsonString(secret, {"data", "pepper"});
  WipeJsonString(secret, {"data", "previous"});
  return peppers;
}

}  // namespace

Result<Peppers> LoadPepper(KubeClient& client, const std::string& namespace_name,
                               const std::string& name) {
  KubeResult got = client.Get(ResourcePath{"v1", "secrets", namespace_name, name, ""});
  if (got.status.ok()) return PepperFromWiped(got.body);
  return Status::Error("reading pepper Secret " + namespace_name + "/" + name + ": " + got.status.String() +
           (got.status.NotFound() ? " (has keyward run ever started with this --namespace?)" : ""));
}

Result<Peppers> LoadOrCreatePepper(KubeClient& client, const std::string& namespace_name,
                                       const std::string& name) {
  ResourcePath path{"v1", "secrets", namespace_name, name, ""};
  for (int attempt = 0; attempt < 3; ++attempt) {
    KubeResult got = client.Get(path);
    if (got.status.ok()) return PepperFromWiped(got.body);
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
    Peppers made;
    made.current = NewPepper();
    secret["data"]["pepper"] = value::string(Base64Encode(made.current));
    KubeResult created = client.Create(ResourcePath{"v1", "secrets", namespace_name, "", ""}, secret);
    WipeJsonString(secret, {"data", "pepper"});
    WipeJsonString(created.body, {"data", "pepper"});
    if (created.status.ok()) return made;
    if (!created.status.AlreadyExists()) {
      return Status::Error("creating pepper Secret " + namespace_name + "/" + name + ": " +
               created.status.String());
    }
    // Another replica won the race: read theirs.
  }
  return Status::Error("pepper Secret " + namespace_name + "/" + name + " kept changing");
}

}  // namespace keyward
