#include "kube/object_store.h"

#include "kube/json_fields.h"

#include <algorithm>

namespace keyward {

std::string ObjectKey(const web::json::value& object) {
  std::string name = JsonStringOr(object, {"metadata", "name"});
  std::string ns = JsonStringOr(object, {"metadata", "namespace"});
  return ns.empty() ? name : ns + "/" + name;
}

namespace {

const FieldPath kUidPath{"metadata", "uid"};

std::vector<FieldPath> ListFields(const StoreOptions& options) {
  std::vector<FieldPath> fields = options.label_fields;
  fields.push_back(kUidPath);
  return fields;
}

// 0 means "no uid"; a real uid never hashes to it.
std::uint64_t UidHash(std::string_view uid) {
  if (uid.empty()) return 0;
  std::uint64_t h = std::hash<std::string_view>{}(uid);
  return h == 0 ? 1 : h;
}

}  // namespace

ObjectStore::ObjectStore(StoreOptions options)
    : options_(std::move(options)), list_fields_(ListFields(options_)) {}

const TextPacker& ObjectStore::Packer(std::string_view first_text) const {
  std::call_once(packer_made_, [&] {
    packer_ = std::make_unique<TextPacker>(options_.dictionary + std::string(first_text));
  });
  return *packer_;
}

StoredObject ObjectStore::Pack(const ObjectPtr& object) const {
  StoredObject kept;
  kept.key = ObjectKey(*object);
  kept.uid = JsonStringOr(*object, {"metadata", "uid"});
  if (options_.label) {
    std::vector<std::string> fields;
    for (const FieldPath& path : options_.label_fields) {
      const web::json::value* v = JsonAt(*object, path);
      fields.push_back(v && v->is_string() ? v->as_string() : "");
    }
    kept.label = options_.label(fields);
  }
  if (options_.compact) {
    std::string text = object->serialize();
    kept.text = Packer(text).Pack(text);
  } else {
    kept.tree = object;
  }
  return kept;
}

StoredObject ObjectStore::Keep(web::json::value object) const {
  return Pack(std::make_shared<const web::json::value>(std::move(object)));
}

StoredObject ObjectStore::KeepText(PageItem item) const {
  StoredObject kept;
  kept.key = std::move(item.key);
  // Read with list_fields(): the label's fields, then the uid.
  if (item.fields.size() == list_fields_.size()) {
    kept.uid = std::move(item.fields.back());
    item.fields.pop_back();
  }
  if (options_.label) kept.label = options_.label(item.fields);
  if (options_.compact) {
    kept.text = Packer(item.text).Pack(item.text);
  } else {
    kept.tree = std::make_shared<const web::json::value>(web::json::value::parse(item.text));
  }
  return kept;
}

ObjectPtr ObjectStore::Unpack(std::string_view packed) const {
  // Our own serialisation: it parses.
  return std::make_shared<const web::json::value>(web::json::value::parse(packer_->Unpack(packed)));
}

ObjectPtr ObjectStore::Read(const Slot& slot) const {
  return slot.tree ? slot.tree : Unpack(slot.text());
}

void ObjectStore::Put(Table* table, Slot slot) {
  const std::string_view key = slot.key();
  auto [it, added] = table->try_emplace(key, std::move(slot));  // moved only if added
  if (added) return;
  Table::node_type node = table->extract(it);
  node.mapped() = std::move(slot);
  node.key() = node.mapped().key();
  table->insert(std::move(node));
}

ObjectStore::Slot ObjectStore::SlotLocked(StoredObject kept) {
  Slot slot;
  slot.tree = std::move(kept.tree);
  slot.uid = UidHash(kept.uid);
  slot.key_size = static_cast<std::uint32_t>(kept.key.size());
  slot.text_size = static_cast<std::uint32_t>(kept.text.size());
  slot.bytes = std::make_unique_for_overwrite<char[]>(kept.key.size() + kept.text.size());
  kept.key.copy(slot.bytes.get(), kept.key.size());
  kept.text.copy(slot.bytes.get() + kept.key.size(), kept.text.size());
  // A handful of distinct labels: a slot keeps an index, not a string.
  auto it = std::find(labels_.begin(), labels_.end(), kept.label);
  if (it == labels_.end() && labels_.size() < 0xFFFF) it = labels_.insert(labels_.end(), kept.label);
  slot.label = static_cast<std::uint16_t>(it == labels_.end() ? 0 : it - labels_.begin());
  return slot;
}

std::vector<std::string> ObjectStore::Replace(std::vector<StoredObject> objects) {
  Table fresh;
  fresh.reserve(objects.size());
  std::vector<std::string> gone;
  {
    std::unique_lock lock(mu_);
    for (auto& o : objects) Put(&fresh, SlotLocked(std::move(o)));
    for (const auto& [key, old] : objects_) {
      auto now = fresh.find(key);
      if (now == fresh.end() || (old.uid && now->second.uid && old.uid != now->second.uid)) {
        gone.emplace_back(key);
      }
    }
    objects_.swap(fresh);
  }
  ready_ = true;
  return gone;  // |fresh|, the old content, is freed outside the lock
}

void ObjectStore::Apply(const ObjectPtr& object) {
  StoredObject kept = Pack(object);
  std::unique_lock lock(mu_);
  Put(&objects_, SlotLocked(std::move(kept)));
}

void ObjectStore::Delete(const std::string& key) {
  std::unique_lock lock(mu_);
  objects_.erase(key);
}

ObjectPtr ObjectStore::Get(const std::string& key) const {
  std::string packed;
  {
    std::shared_lock lock(mu_);
    auto it = objects_.find(key);
    if (it == objects_.end()) return nullptr;
    if (it->second.tree) return it->second.tree;
    packed = it->second.text();  // unpacked and parsed outside the lock
  }
  return Unpack(packed);
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
      fn(*Unpack(slot.text()));
    }
  }
}

std::vector<std::string> ObjectStore::Keys() const {
  std::shared_lock lock(mu_);
  std::vector<std::string> out;
  out.reserve(objects_.size());
  for (const auto& [k, _] : objects_) out.emplace_back(k);
  return out;
}

std::size_t ObjectStore::size() const {
  std::shared_lock lock(mu_);
  return objects_.size();
}

bool ObjectStore::Contains(const std::string& key) const {
  std::shared_lock lock(mu_);
  return objects_.count(key) > 0;
}

std::size_t ObjectStore::CountInNamespace(const std::string& ns) const {
  const std::string prefix = ns + "/";
  std::shared_lock lock(mu_);
  std::size_t n = 0;
  for (const auto& [k, _] : objects_) n += k.starts_with(prefix);
  return n;
}

std::map<std::string, std::size_t> ObjectStore::CountByLabel() const {
  std::map<std::string, std::size_t> counts;
  if (!options_.label) return counts;
  std::shared_lock lock(mu_);
  for (const auto& [_, slot] : objects_) ++counts[labels_[slot.label]];
  return counts;
}

}  // namespace keyward
