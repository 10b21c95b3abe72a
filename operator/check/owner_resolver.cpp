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

OwnerLookup ApiOwnerResolver::Resolve(const std::string& ns, const std::string& pod_name) {
  OwnerLookup r;
  KubeResult pod = client_.Get({"v1", "pods", ns, pod_name, ""});
  if (pod.status.NotFound()) {
    r.outcome = OwnerLookup::Outcome::kPodNotFound;
    return r;
  }
  if (!pod.status.ok()) return Unavailable("reading pod " + ns + "/" + pod_name, pod.status);
  auto owner = ControllerOf(pod.body);
  if (!owner) return r;  // a bare pod: no set
  const auto& [kind, name] = *owner;
  if (kind == "StatefulSet") {
    r.owner.set_type = SetType::kStateful;
  } else if (kind == "DaemonSet") {
    r.owner.set_type = SetType::kDaemon;
  } else if (kind == "ReplicaSet") {
    r.owner.set_type = SetType::kReplica;
    KubeResult rs = client_.Get({"apps/v1", "replicasets", ns, name, ""});
    if (!rs.status.ok() && !rs.status.NotFound()) {
      return Unavailable("reading ReplicaSet " + ns + "/" + name, rs.status);
    }
    auto rs_owner = ControllerOf(rs.body);
    if (rs_owner && rs_owner->first == "Deployment") r.owner.deployment = rs_owner->second;
  } else {
    return r;  // Job, custom controllers: no set
  }
  r.owner.set_name = name;
  return r;
}

}  // namespace keyward
