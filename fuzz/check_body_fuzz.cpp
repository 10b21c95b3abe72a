// POST /v1/check: any bytes as the JSON body (the key in the body or none).
#include <cstddef>
#include <cstdint>

#include "fuzz_env.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace keyward;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  HttpRequest request = PostRequest(body);
  request.headers.emplace_back("Content-Type", "application/json");
  HttpResponse response = HandleCheck(TheFuzzEnv().endpoints, request);
  if (response.status != 200 && response.status != 400 && response.status != 401 &&
      response.status != 415 && response.status != 429) {
    __builtin_trap();  // a status the endpoint does not document
  }
  if (LeaksAKey(response)) __builtin_trap();  // a key in a response
  return 0;
}
