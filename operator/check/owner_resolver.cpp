#include "check/owner_resolver.h"

#include "kube/json_fields.h"

namespace keyward {

using web::json::value;

std::optional<std::pair<std::string, std::string>> ControllerOf(const value& obj) {
  for (const value& ref : JsonArray(obj, {"metadata", "ownerReferences"})) {
    if (!JsonBool(ref, {"controller"}).value_or(false)) continue;
    auto kind = JsonString(ref, {"kind"});
    auto name = JsonString(ref, {"name"});
    if (kind && name) return std::make_pair(*kind, *name);
  }
  return std::nullopt;
}

namespace {

OwnerLookup Unavailable(const std::string& what, const KubeStatus& status) {
  OwnerLookup r;
  r.outcome = OwnerLookup::Outcome::kUnavailable;
  r.error = what + ": " + status.String();
  return r;
}

}  // namespace

PodOwner OwnerFromMetadata(const web::json::value& pod,
                           const std::function<ObjectPtr(const std::string&)>& replica_set) {
  PodOwner owner;
  auto controller = ControllerOf(pod);
  if (!controller) return owner;
  const auto& [kind, name] = *controller;
  if (kind == "StatefulSet") {
    owner.set_type = SetType::kStateful;
  } else if (kind == "DaemonSet") {
    owner.set_type = SetType::kDaemon;
  } else if (kind == "ReplicaSet") {
    owner.set_type = SetType::kReplica;
    if (ObjectPtr rs = replica_set(name)) {
      auto rs_owner = ControllerOf(*rs);
      if (rs_owner && rs_owner->first == "Deployment") owner.deployment = rs_owner->second;
    }
  } else {
    return owner;  // Job, custom controllers: no set
  }
  owner.set_name = name;
  return owner;
}

OwnerLookup ApiOwnerResolver::Resolve(const std::string& ns, const std::string& pod_name) {
  OwnerLookup r;
  KubeResult pod = client_.Get({"v1", "pods", ns, pod_name, ""});
  if (pod.status.NotFound()) {
    r.outcome = OwnerLookup::Outcome::kPodNotFound;
    return r;
  }
  if (!pod.status.ok()) return Unavailable("reading pod " + ns + "/" + pod_name, pod.status);
  KubeStatus rs_status{200, "", ""};
  std::string rs_read;
  r.owner = OwnerFromMetadata(pod.body, [&](const std::string& rs) -> ObjectPtr {
    KubeResult got = client_.Get({"apps/v1", "replicasets", ns, rs, ""});
    if (got.status.ok()) return std::make_shared<const value>(std::move(got.body));
    if (!got.status.NotFound()) rs_status = got.status, rs_read = rs;
    return nullptr;
  });
  if (!rs_status.ok()) return Unavailable("reading ReplicaSet " + ns + "/" + rs_read, rs_status);
  return r;
}

}  // namespace keyward
