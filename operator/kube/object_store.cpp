#include "kube/object_store.h"

#include "kube/json_fields.h"

namespace keyward {

std::string ObjectKey(const web::json::value& object) {
  std::string name = JsonStringOr(object, {"metadata", "name"});
  std::string ns = JsonStringOr(object, {"metadata", "namespace"});
  return ns.empty() ? name : ns + "/" + name;
}

StoredObject ObjectStore::Pack(const ObjectPtr& object) const {
  StoredObject kept;
  kept.key = ObjectKey(*object);
  if (options_.label) kept.label = options_.label(*object);
  if (options_.compact) {
    kept.text = object->serialize();
  } else {
    kept.tree = object;
  }
  return kept;
}

StoredObject ObjectStore::Keep(web::json::value object) const {
  return Pack(std::make_shared<const web::json::value>(std::move(object)));
}

ObjectPtr ObjectStore::Read(const Slot& slot) const {
  if (slot.tree) return slot.tree;
  // Our own serialisation: it parses.
  return std::make_shared<const web::json::value>(web::json::value::parse(slot.text));
}

std::vector<std::string> ObjectStore::Replace(std::vector<StoredObject> objects) {
  std::unordered_map<std::string, Slot> fresh;
  fresh.reserve(objects.size());
  for (auto& o : objects) {
    fresh[o.key] = Slot{std::move(o.tree), std::move(o.text), std::move(o.label)};
  }
  std::vector<std::string> gone;
  {
    std::unique_lock lock(mu_);
    for (const auto& [key, _] : objects_) {
      if (!fresh.count(key)) gone.push_back(key);
    }
    objects_.swap(fresh);
  }
  ready_ = true;
  return gone;  // |fresh|, the old content, is freed outside the lock
}

void ObjectStore::Apply(const ObjectPtr& object) {
  StoredObject kept = Pack(object);
  std::unique_lock lock(mu_);
  objects_[kept.key] = Slot{std::move(kept.tree), std::move(kept.text), std::move(kept.label)};
}

void ObjectStore::Delete(const std::string& key) {
  std::unique_lock lock(mu_);
  objects_.erase(key);
}

ObjectPtr ObjectStore::Get(const std::string& key) const {
  Slot slot;
  {
    std::shared_lock lock(mu_);
    auto it = objects_.find(key);
    if (it == objects_.end()) return nullptr;
    if (it->second.tree) return it->second.tree;
    slot.text = it->second.text;  // parsed outside the lock
  }
  return Read(slot);
}

std::vector<ObjectPtr> ObjectStore::List() const {
  std::vector<ObjectPtr> out;
  std::shared_lock lock(mu_);
  out.reserve(objects_.size());
  for (const auto& [_, slot] : objects_) out.push_back(Read(slot));
  return out;
}

void ObjectStore::ForEach(const std::function<void(const web::json::value&)>& fn) const {
  std::shared_lock lock(mu_);
  for (const auto& [_, slot] : objects_) {
    if (slot.tree) {
      fn(*slot.tree);
    } else {
      fn(web::json::value::parse(slot.text));
    }
  }
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

std::size_t ObjectStore::CountInNamespace(const std::string& ns) const {
  const std::string prefix = ns + "/";
  std::shared_lock lock(mu_);
  std::size_t n = 0;
  for (const auto& [k, _] : objects_) n += k.compare(0, prefix.size(), prefix) == 0;
  return n;
}

std::map<std::string, std::size_t> ObjectStore::CountByLabel() const {
  std::map<std::string, std::size_t> counts;
  if (!options_.label) return counts;
  std::shared_lock lock(mu_);
  for (const auto& [_, slot] : objects_) ++counts[slot.label];
  return counts;
}

}  // namespace keyward
