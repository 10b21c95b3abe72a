// Rules for text from outside that reaches names, headers and Secrets:
// Kubernetes names in access targets, single printable lines, the
// keyward.io/ prefix keyward keeps for itself. Pure functions.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "keys/access_rules.h"

namespace keyward {

// An action name: at most 63 lowercase letters, digits and '-', starting
// with a letter. (A rule may also list "*", every action; a target may not.)
bool IsActionName(std::string_view a);

// True for a label or annotation key under keyward.io/ (or a subdomain of
// it): keyward's own, never settable from a template. keyward.io/fields,
// the field notes of a key issued from a request, is the one exception.
bool IsReservedKey(std::string_view key);

// True when |s| has no control character (below 0x20, or 0x7f): text that
// may be written into an HTTP header or a log line as one line. UTF-8 is
// allowed.
bool IsPrintableLine(std::string_view s);
// The reason validation gives for text that is not.
inline constexpr const char* kNotOnePrintableLine =
    "must be a single line of printable characters (no CR, LF, tab or other control character)";

// Why |target| cannot name anything in a cluster, or nullopt: a non-empty
// namespace or container that is not a DNS-1123 label, a pod that is not a
// DNS-1123 subdomain, an action that is not an action name. Every endpoint
// asks before matching, so no rule is ever matched against a hostile name.
// The reason names the field and never echoes the value.
std::optional<std::string> TargetError(const AccessTarget& target);

}  // namespace keyward
