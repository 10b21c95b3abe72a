// POST /authenticate: any bytes as the TokenReview body.
#include <cstddef>
#include <cstdint>

#include "fuzz_env.h"
#include "webhooks/token_review.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace keyward;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  HttpResponse response = HandleTokenReview(TheFuzzEnv().endpoints, PostRequest(body));
  if (response.status != 200 && response.status != 400 && response.status != 415) __builtin_trap();
  if (response.status == 200) {
    // status.audiences echoes the caller's own spec.audiences by contract;
    // everything else in the answer must hold no key.
    web::json::value answer = web::json::value::parse(response.body);
    web::json::value& status = answer["status"];
    if (status.is_object() && status.has_field("audiences")) status.erase("audiences");
    response.body = answer.serialize();
  }
  if (LeaksAKey(response)) __builtin_trap();  // a key in a response
  return 0;
}
