#include "kube/kube_client.h"

namespace keyward {

std::string KubeStatus::String() const {
  std::string out = code == 0 ? std::string("no response") : std::to_string(code);
  if (!reason.empty()) out += " " + reason;
  if (!message.empty()) out += ": " + message;
  return out;
}

KubeTextResult KubeClient::ListText(const ResourcePath& path, const ListOptions& options) {
  KubeResult page = List(path, options);
  if (!page.status.ok()) return {page.status, ""};
  return {page.status, page.body.serialize()};
}

std::string ResourcePath::Url() const {
  std::string url = group_version.find('/') == std::string::npos ? "/api/" + group_version
                                                                  : "/apis/" + group_version;
  if (!namespace_name.empty()) url += "/namespaces/" + namespace_name;
  if (!plural.empty()) url += "/" + plural;
  if (!name.empty()) url += "/" + name;
  if (!subresource.empty()) url += "/" + subresource;
  return url;
}

}  // namespace keyward
