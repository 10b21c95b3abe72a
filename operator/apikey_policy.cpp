#include "apikey_policy.h"

#include "validation.h"

namespace keyward {

std::shared_ptr<const IndexedPolicy> PolicyOf(const ApiKey& key, TimePoint now) {
  auto policy = std::make_shared<IndexedPolicy>();
  policy->ref = {key.metadata.namespace_name, key.metadata.name};
  policy->policy.rules = key.spec.access;
  policy->policy.disabled = key.spec.disabled;
  TimePoint created = ParseRfc3339(key.metadata.creation_timestamp).value_or(now);
  policy->policy.expires_at = EffectiveExpiry(key.spec, created);
  policy->limits = key.spec.limits;
  return policy;
}

}  // namespace keyward
