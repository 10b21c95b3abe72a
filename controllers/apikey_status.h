// ApiKey status as the controller writes it: phase, the Ready condition,
// and the JSON form for the status subresource. Pure functions.
#pragma once
#include <cpprest/json.h>

#include <string>

#include "api/apikey.h"
#include "base/time_format.h"

namespace keyward {

inline constexpr const char* kPhasePending = "Pending";
inline constexpr const char* kPhaseActive = "Active";
inline constexpr const char* kPhaseDisabled = "Disabled";
inline constexpr const char* kPhaseExpired = "Expired";
inline constexpr const char* kPhaseInvalid = "Invalid";

// Set while a permanent key's digest was re-derived under a new pepper
// (the pepper it was made with is gone); removed by the next rotation.
inline constexpr const char* kPepperChangedCondition = "PepperChanged";

// Sets condition |type|; lastTransitionTime moves only when the
// condition's status changes.
void SetCondition(ApiKeyStatus* status, const std::string& type, bool value, const std::string& reason,
                  const std::string& message, std::int64_t generation, TimePoint now);
void RemoveCondition(ApiKeyStatus* status, const std::string& type);

// SetCondition of Ready.
void SetReadyCondition(ApiKeyStatus* status, bool ready, const std::string& reason,
                       const std::string& message, std::int64_t generation, TimePoint now);

const Condition* FindCondition(const ApiKeyStatus& status, const std::string& type);

// True when the fields keyward manages differ (timestamps of unchanged
// conditions are ignored).
bool StatusChanged(const ApiKeyStatus& before, const ApiKeyStatus& after);

// status.scope: "template/NAME" or "clustertemplate/NAME" for a key made
// from a template; else the first rule's scope, with "+N" when N more rules
// follow ("namespace+2").
std::string ScopeSummary(const ApiKeySpec& spec);

// {"status": {...}} for a merge patch of the status subresource. Empty
// strings are sent as null so stale fields are removed.
web::json::value StatusPatch(const ApiKeyStatus& status);

}  // namespace keyward
