// The reflector store: the watch cache of one resource, keyed by
// "namespace/name". One writer (the watcher), many readers. Thread-safe.
// The initial list is swapped in at once, so readers never see half a list.
#pragma once
#include <cpprest/json.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/rw_mutex.h"
#include "kube/list_page.h"
#include "kube/text_packer.h"

namespace keyward {

using ObjectPtr = std::shared_ptr<const web::json::value>;

// "namespace/name" (or "name" for cluster-scoped objects).
std::string ObjectKey(const web::json::value& object);

struct StoreOptions {
  // Keep each object as its serialised JSON, zstd-packed against
  // |dictionary| and the first object the store keeps (objects of one
  // cluster resemble each other: an ApiKey's ~1 KB of text keeps in ~150
  // bytes; cpprestsdk's tree of it takes ~5.5 KB), and unpack and parse it
  // again on every Get and List: for large collections read once per change
  // (ApiKeys), never for a hot path.
  bool compact = false;
  std::string dictionary;  // typical objects' text
  // Files each object under a short label (e.g. "permanent/Active") that
  // CountByLabel() counts without decoding anything, like a client-go
  // indexer: |label| is given the string at each of |label_fields| ("" when
  // absent). Optional.
  std::vector<FieldPath> label_fields;
  std::function<std::string(const std::vector<std::string>& fields)> label;
};

// One object in the form its store keeps it (see ObjectStore::Keep).
struct StoredObject {
  std::string key;
  std::string uid;   // metadata.uid ("" when absent)
  ObjectPtr tree;    // a store that is not compact
  std::string text;  // a compact store: packed
  std::string label;
};

class ObjectStore {
 public:
  explicit ObjectStore(StoreOptions options = {});
  ObjectStore(const ObjectStore&) = delete;
  ObjectStore& operator=(const ObjectStore&) = delete;

  // |object| (stripped for the cache already) in the form this store keeps;
  // a list builds these page by page, so its trees never pile up.
  StoredObject Keep(web::json::value object) const;
  // The same for an item read from a list page's text.
  StoredObject KeepText(PageItem item) const;
  bool compact() const { return options_.compact; }
  // The fields a list page must read of each item for KeepText: the
  // label's, then metadata.uid.
  const std::vector<FieldPath>& list_fields() const { return list_fields_; }
  // Replaces the whole content (after a list) and marks the store ready.
  // Returns the keys whose object went away: present before but not in
  // |objects|, or in |objects| with another metadata.uid (deleted and made
  // again under the same name while no watch saw it: identity is the uid).
  std::vector<std::string> Replace(std::vector<StoredObject> objects);
  void Apply(const ObjectPtr& object);
  void Delete(const std::string& key);

  ObjectPtr Get(const std::string& key) const;
  std::vector<ObjectPtr> List() const;
  // Calls |fn| with each object in turn; a compact store parses one at a
  // time, so a pass over every object never holds all their trees. Writers
  // wait until it is done.
  void ForEach(const std::function<void(const web::json::value&)>& fn) const;
  std::vector<std::string> Keys() const;
  bool Contains(const std::string& key) const;
  std::size_t size() const;
  // Objects in namespace |ns|, counted by key (nothing is decoded).
  std::size_t CountInNamespace(const std::string& ns) const;
  // Objects per label (StoreOptions::label; empty without one).
  std::map<std::string, std::size_t> CountByLabel() const;

  // True once the first list has been stored.
  bool ready() const { return ready_.load(); }

 private:
  // One object: its key and packed text in one allocation (or its key and
  // tree). The table's key is a view of |bytes|: one copy of each name, no
  // second std::string per object.
  struct Slot {
    ObjectPtr tree;                  // a store that is not compact
    std::unique_ptr<char[]> bytes;   // key, then packed text
    std::uint32_t key_size = 0;
    std::uint32_t text_size = 0;
    std::uint16_t label = 0;  // into labels_
    std::uint64_t uid = 0;    // a hash of metadata.uid; 0 = none
    std::string_view key() const { return {bytes.get(), key_size}; }
    std::string_view text() const { return {bytes.get() + key_size, text_size}; }
  };
  using Table = std::unordered_map<std::string_view, Slot>;
  // Puts |slot| under its own key in |table| (re-keyed if the key is there:
  // the old view dies with the old slot).
  static void Put(Table* table, Slot slot);
  ObjectPtr Read(const Slot& slot) const;
  ObjectPtr Unpack(std::string_view packed) const;
  // |object| as this store keeps it (text or tree, its label).
  StoredObject Pack(const ObjectPtr& object) const;
  // |kept| as a slot; mu_ held for writing (labels_ may grow).
  Slot SlotLocked(StoredObject kept);

  // The packer of a compact store, made at the first object kept (which
  // joins the dictionary): before any text is packed, so every packed text
  // has the one dictionary.
  const TextPacker& Packer(std::string_view first_text) const;

  const StoreOptions options_;
  const std::vector<FieldPath> list_fields_;
  mutable std::once_flag packer_made_;
  mutable std::unique_ptr<const TextPacker> packer_;
  std::vector<std::string> labels_;  // every label seen; a slot holds its index
  mutable RwMutex mu_;  // writers first: readers never starve an update
  Table objects_;
  std::atomic<bool> ready_{false};
};

}  // namespace keyward
