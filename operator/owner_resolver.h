// Resolves what a request touches from the pod itself: the owning set
// (ReplicaSet, StatefulSet, DaemonSet; Deployment via its ReplicaSet) comes
// from ownerReferences read from the API, never from the client.
#pragma once
#include <string>

#include "access_rules.h"
#include "kube_client.h"

namespace keyward {

// Fills target.set_type / set_name / deployment for |target.pod| in
// |target.namespace_name|. A pod without a controller owner leaves them
// empty. Returns the API status of the lookups (NotFound for a missing pod).
KubeStatus ResolveOwner(KubeClient& client, AccessTarget* target);

}  // namespace keyward
