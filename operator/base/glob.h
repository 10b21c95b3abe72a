// Anchored glob patterns for Kubernetes object names in access rules:
// '*' (any run), '?' (one character), '[a-z]' / '[!0-9]' (classes).
// Pure functions, thread-safe. "prod" matches only "prod", never "preprod".
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace keyward {

// Returns nullopt when |pattern| is a well-formed glob over lowercase
// DNS-1123 characters; otherwise a reason such as
// "invalid glob: unclosed '[' at position 3".
std::optional<std::string> ValidateGlob(std::string_view pattern);

// True when |name| matches the whole of |pattern|. A malformed pattern
// matches nothing.
bool GlobMatch(std::string_view pattern, std::string_view name);

// True when any pattern in |patterns| matches |name|.
template <typename Container>
bool AnyGlobMatches(const Container& patterns, std::string_view name) {
  for (const auto& p : patterns) {
    if (GlobMatch(p, name)) return true;
  }
  return false;
}

}  // namespace keyward
