// What the key index needs to know about an ApiKey: its policy (rules,
// disabled, absolute expiry, limits) and, for permanent keys, its digests.
#pragma once
#include <cpprest/json.h>

#include <memory>
#include <optional>
#include <utility>

#include "api/apikey.h"
#include "api/apikey_template.h"
#include "keys/key_index.h"

namespace keyward {

// The policy of |key|; a ttl counts from metadata.creationTimestamp (or
// |now| when the object has none yet). A key with spec.templateRef takes
// its rules and limits from |from_template|. Pure.
std::shared_ptr<const IndexedPolicy> PolicyOf(const ApiKey& key, TimePoint now,
                                              const ApiKeyTemplateSpec* from_template = nullptr);

// namespace/name of |key|.
ApiKeyRef RefOf(const ApiKey& key);

// A key replaced by a rotation and the end of its overlap.
using PreviousKey = std::pair<KeyDigest, TimePoint>;

// The previous key recorded in |status|, if it is still valid at |now| and
// its digest was made with a pepper |index| holds.
std::optional<PreviousKey> ValidPrevious(const ApiKeyStatus& status, TimePoint now,
                                         const KeyIndex& index);

// Makes |current| and, while it is valid at |now|, |previous| the only keys
// of |ref| in |index|. A digest another ApiKey already holds stays with it:
// that ApiKey is returned and |ref| keeps none of its keys.
std::optional<ApiKeyRef> IndexKeys(KeyIndex* index, const ApiKeyRef& ref, const KeyDigest& current,
               const std::optional<PreviousKey>& previous, TimePoint now);

// Indexes a permanent ApiKey from its object alone, as a follower replica
// does: policy, status.keyHash, and the previous key inside its rotation
// overlap. Returns false (and indexes nothing) when status holds no key, a
// digest of a pepper |index| does not hold, or another ApiKey holds it.
bool IndexFromStatus(const ApiKey& key, KeyIndex* index, TimePoint now,
                     const ApiKeyTemplateSpec* from_template = nullptr);

// At start, before any reconcile, for each cached ApiKey: indexes
// (IndexFromStatus) |object| if it is a permanent key whose status speaks
// for its current spec (phase Active, observedGeneration = generation, the
// spec valid), so a replica answers for every such key the moment its
// caches are synced. Anything else waits for its reconcile (so does a key
// whose template |templates| does not find). True if indexed.
bool IndexSynced(const web::json::value& object, KeyIndex* index, TimePoint now,
                 const TemplateLookup& templates = nullptr);

}  // namespace keyward
