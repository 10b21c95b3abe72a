#include "server/http_message.h"

#include "base/json_depth.h"

namespace keyward {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view HttpRequest::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) return v;
  }
  return {};
}

HttpResponse JsonError(int status, std::string_view message) {
  HttpResponse r;
  r.status = status;
  r.body.reserve(message.size() + 16);
  r.body = "{\"error\":\"";
  for (char c : message) {
    if (c == '"' || c == '\\') {
      r.body += '\\';
      r.body += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      r.body += ' ';
    } else {
      r.body += c;
    }
  }
  r.body += "\"}";
  return r;
}

std::optional<HttpResponse> RefuseDeepJson(std::string_view body) {
  if (JsonDepthWithin(body, kMaxBodyJsonDepth)) return std::nullopt;
  return JsonError(400, "body nests arrays or objects deeper than " + std::to_string(kMaxBodyJsonDepth) +
                            " levels");
}

}  // namespace keyward
