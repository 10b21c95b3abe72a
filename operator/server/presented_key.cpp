#include "server/presented_key.h"

#include "base/base64.h"

namespace keyward {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

PresentedKey FromBasic(std::string_view credentials) {
  PresentedKey out;
  std::optional<std::string> decoded = Base64Decode(std::string(credentials));
  auto colon = decoded ? decoded->find(':') : std::string::npos;
  if (!decoded || colon == std::string::npos) {
    out.error = "Authorization: Basic must be base64 of <namespace>/<name>:<key>";
    return out;
  }
  std::string_view user(decoded->data(), colon);
  out.key = decoded->substr(colon + 1);
  auto slash = user.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == user.size()) {
    out.key.clear();
    out.error = "Authorization: Basic user must be <namespace>/<name> of the ApiKey";
    return out;
  }
  out.claimed = ApiKeyRef{std::string(user.substr(0, slash)), std::string(user.substr(slash + 1))};
  return out;
}

}  // namespace

PresentedKey KeyFromHeaders(const HttpRequest& request) {
  std::string_view auth = Trim(request.Header("Authorization"));
  PresentedKey out;
  if (auth.empty()) return out;
  auto space = auth.find(' ');
  std::string_view scheme = auth.substr(0, space);
  std::string_view rest = space == std::string_view::npos ? "" : Trim(auth.substr(space + 1));
  if (EqualsIgnoreCase(scheme, "Bearer")) {
    out.key = std::string(rest);
  } else if (EqualsIgnoreCase(scheme, "Basic")) {
    return FromBasic(rest);
  } else {
    out.error = "Authorization: unsupported scheme (use Bearer or Basic)";
  }
  return out;
}

}  // namespace keyward
