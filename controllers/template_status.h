// A template's status as keyward's leader writes it: the Ready condition
// (valid or not, and why), observedGeneration and keysIssued. Pure.
#pragma once
#include <cpprest/json.h>

#include <cstdint>
#include <optional>
#include <string>

#include "base/time_format.h"

namespace keyward {

struct TemplateStatus {
  bool valid = false;
  std::string message;  // the first problems, by field; or what is valid
  std::int64_t observed_generation = 0;
  std::int64_t keys_issued = 0;
};

// Checks |object| (an ApiKeyTemplate or ClusterApiKeyTemplate) as
// admission does; |keys| ApiKeys use it.
TemplateStatus TemplateStatusOf(const web::json::value& object, std::int64_t keys);

// {"status": {...}} for a merge patch of the status subresource, or
// nullopt when |object|'s status already says |status|. The condition's
// lastTransitionTime moves only when its status does.
std::optional<web::json::value> TemplateStatusPatch(const web::json::value& object,
                                                    const TemplateStatus& status, TimePoint now);

}  // namespace keyward
