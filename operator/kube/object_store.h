// The reflector store: the watch cache of one resource, keyed by
// "namespace/name". One writer (the watcher), many readers. Thread-safe.
// The initial list is swapped in at once, so readers never see half a list.
#pragma once
#include <cpprest/json.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/rw_mutex.h"

namespace keyward {

using ObjectPtr = std::shared_ptr<const web::json::value>;

// "namespace/name" (or "name" for cluster-scoped objects).
std::string ObjectKey(const web::json::value& object);

class ObjectStore {
 public:
  ObjectStore() = default;
  ObjectStore(const ObjectStore&) = delete;
  ObjectStore& operator=(const ObjectStore&) = delete;

  // Replaces the whole content (after a list) and marks the store ready.
  // Returns the keys that were present before but are not in |objects|.
  std::vector<std::string> Replace(std::vector<ObjectPtr> objects);
  void Apply(ObjectPtr object);
  void Delete(const std::string& key);

  ObjectPtr Get(const std::string& key) const;
  std::vector<ObjectPtr> List() const;
  std::vector<std::string> Keys() const;
  std::size_t size() const;

  // True once the first list has been stored.
  bool ready() const { return ready_.load(); }

 private:
  mutable RwMutex mu_;  // writers first: readers never starve an update
  std::unordered_map<std::string, ObjectPtr> objects_;
  std::atomic<bool> ready_{false};
};

}  // namespace keyward
