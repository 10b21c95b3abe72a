#include "api/apikey_policy.h"

#include "api/validation.h"

namespace keyward {

std::shared_ptr<const IndexedPolicy> PolicyOf(const ApiKey& key, TimePoint now,
                                              const ApiKeyTemplateSpec* from_template) {
  auto policy = std::make_shared<IndexedPolicy>();
  policy->ref = {key.metadata.namespace_name, key.metadata.name};
  policy->policy.rules = from_template ? from_template->access : key.spec.access;
  policy->policy.disabled = key.spec.disabled;
  TimePoint created = ParseRfc3339(key.metadata.creation_timestamp).value_or(now);
  policy->policy.expires_at = EffectiveExpiry(key.spec, created);
  policy->limits = from_template ? from_template->limits : key.spec.limits;
  if (key.spec.template_ref) policy->template_name = Interned(key.spec.template_ref->name);
  return policy;
}

}  // namespace keyward

namespace keyward {

ApiKeyRef RefOf(const ApiKey& key) { return {key.metadata.namespace_name, key.metadata.name}; }

std::optional<PreviousKey> ValidPrevious(const ApiKeyStatus& s, TimePoint now, const KeyIndex& index) {
  auto digest = index.LiveDigest(s.previous_key_hash);
  auto until = ParseRfc3339(s.previous_valid_until);
  if (!digest || !until || now >= *until) return std::nullopt;
  return std::make_pair(*digest, *until);
}

std::optional<ApiKeyRef> IndexKeys(KeyIndex* index, const ApiKeyRef& ref, const KeyDigest& current,
                                   const std::optional<PreviousKey>& previous, TimePoint now) {
  std::vector<KeyDigest> keep{current};
  std::optional<ApiKeyRef> holder = index->AddKey(ref, current);
  if (!holder && previous && now < previous->second) {
    holder = index->AddKey(ref, previous->first, previous->second);
    keep.push_back(previous->first);
  }
  if (holder) keep.clear();
  index->RetainKeys(ref, keep);
  return holder;
}

bool IndexSynced(const web::json::value& object, KeyIndex* index, TimePoint now,
                 const TemplateLookup& templates) {
  FieldErrors errors;
  ApiKey key = ParseApiKey(object, &errors);
  if (!errors.empty() || key.spec.type != KeyType::kPermanent || key.status.phase != "Active" ||
      key.status.observed_generation != key.metadata.generation ||
      !ValidateApiKey(key, now, /*creating=*/false).empty()) {
    return false;
  }
  std::optional<ApiKeyTemplate> tpl;
  if (key.spec.template_ref) {
    if (templates) tpl = templates(key.metadata.namespace_name, *key.spec.template_ref);
    if (!tpl) return false;  // its reconcile says why
  }
  return IndexFromStatus(key, index, now, tpl ? &tpl->spec : nullptr);
}

bool IndexFromStatus(const ApiKey& key, KeyIndex* index, TimePoint now,
                     const ApiKeyTemplateSpec* from_template) {
  auto digest = index->LiveDigest(key.status.key_hash);
  if (!digest) return false;
  index->SetPolicy(PolicyOf(key, now, from_template));
  return !IndexKeys(index, RefOf(key), *digest, ValidPrevious(key.status, now, *index), now);
}

}  // namespace keyward
