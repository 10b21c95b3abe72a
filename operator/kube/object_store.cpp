#include "kube/object_store.h"

#include "kube/json_fields.h"

namespace keyward {

std::string ObjectKey(const web::json::value& object) {
  std::string name = JsonStringOr(object, {"metadata", "name"});
  std::string ns = JsonStringOr(object, {"metadata", "namespace"});
  return ns.empty() ? name : ns + "/" + name;
}

std::vector<std::string> ObjectStore::Replace(std::vector<ObjectPtr> objects) {
  std::unordered_map<std::string, ObjectPtr> fresh;
  fresh.reserve(objects.size());
  for (auto& o : objects) fresh[ObjectKey(*o)] = std::move(o);
  std::vector<std::string> gone;
  {
    std::unique_lock lock(mu_);
    for (const auto& [key, _] : objects_) {
      if (!fresh.count(key)) gone.push_back(key);
    }
    objects_.swap(fresh);
  }
  ready_ = true;
  return gone;
}

void ObjectStore::Apply(ObjectPtr object) {
  std::string key = ObjectKey(*object);
  std::unique_lock lock(mu_);
  objects_[key] = std::move(object);
}

void ObjectStore::Delete(const std::string& key) {
  std::unique_lock lock(mu_);
  objects_.erase(key);
}

ObjectPtr ObjectStore::Get(const std::string& key) const {
  std::shared_lock lock(mu_);
  auto it = objects_.find(key);
  return it == objects_.end() ? nullptr : it->second;
}

std::vector<ObjectPtr> ObjectStore::List() const {
  std::shared_lock lock(mu_);
  std::vector<ObjectPtr> out;
  out.reserve(objects_.size());
  for (const auto& [_, o] : objects_) out.push_back(o);
  return out;
}

std::vector<std::string> ObjectStore::Keys() const {
  std::shared_lock lock(mu_);
  std::vector<std::string> out;
  out.reserve(objects_.size());
  for (const auto& [k, _] : objects_) out.push_back(k);
  return out;
}

std::size_t ObjectStore::size() const {
  std::shared_lock lock(mu_);
  return objects_.size();
}

}  // namespace keyward
