#include "api/input_rules.h"

#include <algorithm>

#include "api/validation.h"

namespace keyward {

bool IsActionName(std::string_view a) {
  if (a.empty() || a.size() > 63 || !(a[0] >= 'a' && a[0] <= 'z')) return false;
  return std::all_of(a.begin(), a.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

bool IsReservedKey(std::string_view key) {
  // The one keyward.io/ key a template may carry: the descriptions of a
  // template's fields, which keyward itself writes into the secretTemplate
  // of a key issued from a request. It is not part of the Secret's record.
  if (key == "keyward.io/fields") return false;
  std::size_t slash = key.find('/');
  if (slash == std::string_view::npos) return false;
  std::string_view prefix = key.substr(0, slash);
  const std::string_view ours = "keyward.io";
  return prefix == ours || (prefix.size() > ours.size() && prefix.ends_with(ours) &&
                            prefix[prefix.size() - ours.size() - 1] == '.');
}

bool IsPrintableLine(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

std::optional<std::string> TargetError(const AccessTarget& t) {
  if (!t.namespace_name.empty() && !IsDns1123Label(t.namespace_name)) {
    return "namespace: must be a namespace name (a DNS-1123 label: at most 63 lowercase letters, digits and '-')";
  }
  if (!t.pod.empty() && !IsDns1123Subdomain(t.pod)) {
    return "pod: must be a pod name (a DNS-1123 subdomain: at most 253 lowercase letters, digits, '-' and '.')";
  }
  if (!t.container.empty() && !IsDns1123Label(t.container)) {
    return "container: must be a container name (a DNS-1123 label: at most 63 lowercase letters, digits and '-')";
  }
  if (!t.action.empty() && !IsActionName(t.action)) {
    return "action: must be an action name (at most 63 lowercase letters, digits and '-', starting with a letter)";
  }
  return std::nullopt;
}

}  // namespace keyward
