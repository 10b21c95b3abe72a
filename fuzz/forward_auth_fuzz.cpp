// GET /v1/auth: any bytes as the proxy's headers ("Name: value" lines),
// Authorization (Bearer and Basic) and X-Keyward-* included.
#include <cstddef>
#include <cstdint>

#include "fuzz_env.h"
#include "server/presented_key.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace keyward;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  HttpRequest request;
  request.method = "GET";
  request.path = "/v1/auth";
  request.tls = true;
  request.headers = HeaderLines(text);
  PresentedKey presented = KeyFromHeaders(request);
  if (!presented.key.empty() && presented.error.find(presented.key) != std::string::npos) {
    __builtin_trap();  // the error echoes the key
  }
  HttpResponse response = HandleForwardAuth(TheFuzzEnv().endpoints, request);
  if (response.status < 200 || response.status >= 500) __builtin_trap();
  if (LeaksAKey(response)) __builtin_trap();  // a key in a response
  return 0;
}
