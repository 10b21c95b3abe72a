// Process-wide structured logging on spdlog: text or one JSON object per
// line. Call once at start-up. Callers must never log key material.
#pragma once
#include <string>

namespace keyward {

// |level|: trace, debug, info, warn, error. |format|: text or json.
// Returns false (and logs why) for an unknown level.
bool SetupLogging(const std::string& level, const std::string& format);

// Escapes |s| for use inside a JSON string literal.
std::string JsonEscape(const std::string& s);

}  // namespace keyward
