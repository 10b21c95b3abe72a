// The HMAC pepper: 32 random bytes in one Secret in the operator's own
// namespace (data.pepper), created by whichever replica starts first, and
// while it is rotated out the one before it (data.previous). Blocking.
#pragma once
#include <optional>
#include <string>

#include "base/status.h"
#include "kube/kube_client.h"

namespace keyward {

// The peppers of the Secret: |current| makes every new digest; |previous|
// (may be empty) is still accepted for digests made before a rotation.
struct Peppers {
  std::string current;
  std::string previous;
  Peppers() = default;
  Peppers(Peppers&&) = default;
  Peppers& operator=(Peppers&&) = default;
  ~Peppers();  // wipes both
};

// Reads the pepper Secret |name| in |namespace_name|, creating it (and
// racing safely with other replicas) if it does not exist. An error never
// contains the pepper.
Result<Peppers> LoadOrCreatePepper(KubeClient& client, const std::string& namespace_name,
                                       const std::string& name);

// Reads the pepper without ever creating it (for read-only tools).
Result<Peppers> LoadPepper(KubeClient& client, const std::string& namespace_name,
                               const std::string& name);

}  // namespace keyward
