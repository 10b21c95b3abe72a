// The request a handler sees and the response it returns: plain data, so
// endpoint handlers are tested without sockets.
#pragma once
#include <functional>
#include <memory>
#include <optional>
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

// A response body produced while it is sent (a followed log): the
// listener sends it with chunked encoding, polling Take from its I/O thread
// while a producer fills it from another. A slow client slows the producer:
// implementations hold a bounded amount.
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  enum class Poll { kData, kWait, kEnd };
  // Appends what is ready to |out| (kData); kWait: nothing yet; kEnd: the
  // body is complete. Never blocks.
  virtual Poll Take(std::string* out) = 0;
  // The client went away or the server stops: the producer ends.
  virtual void Cancel() = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool sensitive = false;  // the body holds a key: wiped from memory once written
  std::shared_ptr<BodyStream> stream;  // set: |body| is ignored, the stream is sent
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// A JSON error body {"error": message} with |status|; |message| must not
// hold a key.
HttpResponse JsonError(int status, std::string_view message);

// 400 when |body| nests arrays or objects deeper than kMaxBodyJsonDepth
// (base/json_depth.h), before any parser recurses into it; nullopt otherwise.
std::optional<HttpResponse> RefuseDeepJson(std::string_view body);

// Case-insensitive ASCII comparison, for header names and auth schemes.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace keyward
