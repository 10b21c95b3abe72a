// What the key index needs to know about an ApiKey to decide: its rules,
// disabled flag, absolute expiry and limits. Pure.
#pragma once
#include <memory>

#include "apikey.h"
#include "key_index.h"

namespace keyward {

// The policy of |key|; a ttl counts from metadata.creationTimestamp (or
// |now| when the object has none yet).
std::shared_ptr<const IndexedPolicy> PolicyOf(const ApiKey& key, TimePoint now);

}  // namespace keyward
