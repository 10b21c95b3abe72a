// Between keyward's HttpRequest/HttpResponse and Boost.Beast's messages: a
// view of a request, a response whose headers are one printable line each.
#pragma once
#include <spdlog/spdlog.h>

#include <boost/beast/http.hpp>
#include <string>
#include <utility>
#include <vector>

#include "api/input_rules.h"
#include "server/http_message.h"

namespace keyward {

using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;
using BeastResponse = boost::beast::http::response<boost::beast::http::string_body>;

// Views into |req|'s storage: valid while |req| lives.
HttpRequest ViewOf(const BeastRequest& req, bool tls);

// Sets each header a handler gave, except one whose name or value is not one
// printable line (api/input_rules.h): a value from a tenant's object, such
// as "x\r\nRemote-User: admin", could otherwise add headers of its own.
// That one is dropped and logged by name alone.
template <class Message>
void SetHeaders(const std::vector<std::pair<std::string, std::string>>& headers, Message& res) {
  for (const auto& [k, v] : headers) {
    if (!IsPrintableLine(k) || !IsPrintableLine(v) || k.find_first_of(" :") != std::string::npos) {
      spdlog::error("dropped response header {}: it holds a control character", IsPrintableLine(k) ? k : "?");
      continue;
    }
    res.set(k, v);
  }
}

// The response as Beast sends it: Server, Content-Type, the handler's
// headers (SetHeaders), the body, keep-alive and the length.
BeastResponse ToBeast(HttpResponse&& in, unsigned version, bool keep_alive);

// What to answer when reading a request failed, or 0 to just close.
int StatusForReadError(const boost::system::error_code& ec);

// Zeroes what may hold a key once the handler is done with it: the body
// and the Authorization header's value (Beast's own storage).
void WipeCredentials(BeastRequest& req);

}  // namespace keyward
