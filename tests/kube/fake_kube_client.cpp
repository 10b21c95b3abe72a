#include "kube/fake_kube_client.h"

namespace keyward {

using web::json::value;

namespace {

KubeStatus Ok() { return {200, "", ""}; }

void Merge(value& target, const value& patch) {
  if (!patch.is_object()) {
    target = patch;
    return;
  }
  if (!target.is_object()) target = value::object();
  for (const auto& [k, v] : patch.as_object()) {
    if (v.is_null()) {
      if (target.has_field(k)) target.erase(k);
    } else {
      Merge(target[k], v);
    }
  }
}

}  // namespace

std::string FakeKubeClient::Bump() { return std::to_string(++rv_); }

void FakeKubeClient::Record(const std::string& verb, const std::string& url) {
  calls_.push_back({verb, url});
}

KubeStatus FakeKubeClient::TakeFailure(const std::string& verb) {
  auto it = failures_.find(verb);
  if (it == failures_.end() || it->second.empty()) return Ok();
  KubeStatus s = it->second.front();
  it->second.pop_front();
  return s;
}

KubeResult FakeKubeClient::Get(const ResourcePath& path) {
  if (before_call) before_call("get");
  std::lock_guard lock(mu_);
  Record("get", path.Url());
  if (KubeStatus f = TakeFailure("get"); !f.ok()) return {f, {}};
  auto it = objects_.find(path.Url());
  if (it == objects_.end()) return {{404, "NotFound", path.name + " not found"}, {}};
  return {Ok(), it->second};
}

KubeResult FakeKubeClient::List(const ResourcePath& path, const ListOptions& options) {
  if (before_call) before_call("list");
  std::lock_guard lock(mu_);
  Record("list", path.Url());
  if (KubeStatus f = TakeFailure("list"); !f.ok()) return {f, {}};
  std::vector<value> items;
  std::string prefix = path.Url() + "/";
  bool all_namespaces = path.namespace_name.empty();
  for (const auto& [url, obj] : objects_) {
    bool match = url.rfind(prefix, 0) == 0 && url.find('/', prefix.size()) == std::string::npos;
    if (all_namespaces && !match) {
      // /apis/g/v/namespaces/<ns>/<plural>/<name>
      std::string tail = "/" + path.plural + "/";
      auto at = url.find(tail);
      match = at != std::string::npos && url.find('/', at + tail.size()) == std::string::npos &&
              url.rfind(ResourcePath{path.group_version, "", "", "", ""}.Url(), 0) == 0;
    }
    if (match) items.push_back(obj);
  }
  // Pages of options.limit, continue token = next index.
  std::size_t start = options.continue_token.empty() ? 0 : std::stoul(options.continue_token);
  std::size_t end = options.limit > 0 ? std::min(items.size(), start + static_cast<std::size_t>(options.limit))
                                      : items.size();  // no limit: one page
  value list;
  list["items"] = value::array();
  for (std::size_t i = start; i < end; ++i) list["items"][i - start] = items[i];
  list["metadata"]["resourceVersion"] = value::string(std::to_string(rv_));
  if (end < items.size()) list["metadata"]["continue"] = value::string(std::to_string(end));
  return {Ok(), list};
}

KubeResult FakeKubeClient::Create(const ResourcePath& path, const value& object) {
  if (before_call) before_call("create");
  std::lock_guard lock(mu_);
  Record("create", path.Url());
  if (KubeStatus f = TakeFailure("create"); !f.ok()) return {f, {}};
  ResourcePath item = path;
  item.name = object.at("metadata").at("name").as_string();
  if (objects_.count(item.Url())) return {{409, "AlreadyExists", item.name + " already exists"}, {}};
  value stored = object;
  stored["metadata"]["resourceVersion"] = value::string(Bump());
  stored["metadata"]["uid"] = value::string("uid-" + std::to_string(rv_));
  objects_[item.Url()] = stored;
  return {{201, "", ""}, stored};
}

KubeResult FakeKubeClient::Update(const ResourcePath& path, const value& object) {
  if (before_call) before_call("update");
  std::lock_guard lock(mu_);
  Record("update", path.Url());
  if (KubeStatus f = TakeFailure("update"); !f.ok()) return {f, {}};
  ResourcePath item = path;
  item.subresource.clear();
  auto it = objects_.find(item.Url());
  if (it == objects_.end()) return {{404, "NotFound", "not found"}, {}};
  std::string want = object.at("metadata").at("resourceVersion").as_string();
  if (want != it->second.at("metadata").at("resourceVersion").as_string()) {
    return {{409, "Conflict", "the object has been modified"}, {}};
  }
  value stored = object;
  stored["metadata"]["resourceVersion"] = value::string(Bump());
  it->second = stored;
  return {Ok(), stored};
}

KubeResult FakeKubeClient::MergePatch(const ResourcePath& path, const value& patch) {
  if (before_call) before_call("patch");
  std::lock_guard lock(mu_);
  Record("patch", path.Url());
  if (KubeStatus f = TakeFailure("patch"); !f.ok()) return {f, {}};
  ResourcePath item = path;
  item.subresource.clear();
  auto it = objects_.find(item.Url());
  if (it == objects_.end()) return {{404, "NotFound", "not found"}, {}};
  // As the API server does: a resourceVersion in the patch is a precondition.
  if (patch.has_field("metadata") && patch.at("metadata").has_field("resourceVersion") &&
      patch.at("metadata").at("resourceVersion") != it->second.at("metadata").at("resourceVersion")) {
    return {{409, "Conflict", "the object has been modified"}, {}};
  }
  Merge(it->second, patch);
  it->second["metadata"]["resourceVersion"] = value::string(Bump());
  return {Ok(), it->second};
}

KubeResult FakeKubeClient::Delete(const ResourcePath& path, const DeleteOptions&) {
  if (before_call) before_call("delete");
  std::lock_guard lock(mu_);
  Record("delete", path.Url());
  if (KubeStatus f = TakeFailure("delete"); !f.ok()) return {f, {}};
  if (!objects_.erase(path.Url())) return {{404, "NotFound", "not found"}, {}};
  Bump();
  return {Ok(), {}};
}

KubeStatus FakeKubeClient::Watch(const ResourcePath& path, const WatchOptions&,
                                 const WatchHandler& handler, pplx::cancellation_token cancel) {
  WatchScript script;
  {
    std::lock_guard lock(mu_);
    Record("watch", path.Url());
    if (watches_.empty()) {
      // Nothing scripted: behave like an idle watch until cancelled.
      script.end = {0, "Transport", "no scripted watch"};
    } else {
      script = std::move(watches_.front());
      watches_.pop_front();
    }
  }
  for (const auto& [type, obj] : script.events) {
    if (cancel.is_canceled()) return {0, "Transport", "cancelled"};
    if (!handler(type, obj)) return Ok();
  }
  return script.end;
}

void FakeKubeClient::Put(const ResourcePath& path, value object) {
  std::lock_guard lock(mu_);
  object["metadata"]["resourceVersion"] = value::string(Bump());
  objects_[path.Url()] = std::move(object);
}

value FakeKubeClient::Object(const ResourcePath& path) const {
  std::lock_guard lock(mu_);
  auto it = objects_.find(path.Url());
  return it == objects_.end() ? value::null() : it->second;
}

bool FakeKubeClient::Has(const ResourcePath& path) const {
  std::lock_guard lock(mu_);
  return objects_.count(path.Url()) > 0;
}

void FakeKubeClient::FailNext(const std::string& verb, KubeStatus status) {
  std::lock_guard lock(mu_);
  failures_[verb].push_back(status);
}

void FakeKubeClient::AddWatch(WatchScript script) {
  std::lock_guard lock(mu_);
  watches_.push_back(std::move(script));
}

std::vector<FakeKubeClient::Call> FakeKubeClient::Calls() const {
  std::lock_guard lock(mu_);
  return calls_;
}

int FakeKubeClient::CountCalls(const std::string& verb) const {
  std::lock_guard lock(mu_);
  int n = 0;
  for (const auto& c : calls_) n += c.verb == verb;
  return n;
}

std::string FakeKubeClient::resource_version() const {
  std::lock_guard lock(mu_);
  return std::to_string(rv_);
}

}  // namespace keyward
