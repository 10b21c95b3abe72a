#include "owner_resolver.h"

namespace keyward {

using web::json::value;

namespace {

// The ownerReference with controller=true, if any.
bool ControllerOf(const value& obj, std::string* kind, std::string* name) {
  if (!obj.has_field("metadata") || !obj.at("metadata").has_field("ownerReferences")) return false;
  for (const value& ref : obj.at("metadata").at("ownerReferences").as_array()) {
    if (ref.has_field("controller") && ref.at("controller").is_boolean() &&
        ref.at("controller").as_bool()) {
      *kind = ref.at("kind").as_string();
      *name = ref.at("name").as_string();
      return true;
    }
  }
  return false;
}

}  // namespace

KubeStatus ResolveOwner(KubeClient& client, AccessTarget* target) {
  if (target->pod.empty()) return {200, "", ""};
  KubeResult pod = client.Get({"v1", "pods", target->namespace_name, target->pod, ""});
  if (!pod.status.ok()) return pod.status;
  std::string kind, name;
  if (!ControllerOf(pod.body, &kind, &name)) return pod.status;
  if (kind == "StatefulSet") {
    target->set_type = SetType::kStateful;
  } else if (kind == "DaemonSet") {
    target->set_type = SetType::kDaemon;
  } else if (kind == "ReplicaSet") {
    target->set_type = SetType::kReplica;
    KubeResult rs = client.Get({"apps/v1", "replicasets", target->namespace_name, name, ""});
    if (!rs.status.ok()) return rs.status;
    std::string owner_kind, owner_name;
    if (ControllerOf(rs.body, &owner_kind, &owner_name) && owner_kind == "Deployment") {
      target->deployment = owner_name;
    }
  } else {
    return pod.status;  // Job, custom controllers: no set
  }
  target->set_name = name;
  return pod.status;
}

}  // namespace keyward
