// The HMAC pepper: 32 random bytes in one Secret in the operator's own
// namespace, created by whichever replica starts first. Blocking; call once.
#pragma once
#include <optional>
#include <string>

#include "base/status.h"
#include "kube/kube_client.h"

namespace keyward {

// Reads the pepper Secret |name| in |namespace_name|, creating it (and
// racing safely with other replicas) if it does not exist. An error never
// contains the pepper.
Result<std::string> LoadOrCreatePepper(KubeClient& client, const std::string& namespace_name,
                                       const std::string& name);

// Reads the pepper without ever creating it (for read-only tools).
Result<std::string> LoadPepper(KubeClient& client, const std::string& namespace_name,
                               const std::string& name);

}  // namespace keyward
