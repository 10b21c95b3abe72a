// The request a handler sees and the response it returns: plain data, so
// endpoint handlers are tested without sockets.
#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace keyward {

struct HttpRequest {
  std::string_view method;  // "GET", "POST", ...
  std::string_view path;    // without the query string
  std::string_view query;   // after '?', or ""
  std::vector<std::pair<std::string_view, std::string_view>> headers;
  std::string_view body;
  bool tls = false;

  // The first header named |name| (case-insensitive), or "".
  std::string_view Header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool sensitive = false;  // the body holds a key: wiped from memory once written
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// A JSON error body {"error": message} with |status|; |message| must not
// hold a key.
HttpResponse JsonError(int status, std::string_view message);

// Case-insensitive ASCII comparison, for header names and auth schemes.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace keyward
