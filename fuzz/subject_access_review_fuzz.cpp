// POST /authorize: any bytes as the SubjectAccessReview body.
#include <cstddef>
#include <cstdint>

#include "fuzz_env.h"
#include "webhooks/subject_access_review.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace keyward;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  HttpResponse response = HandleSubjectAccessReview(TheFuzzEnv().endpoints, PostRequest(body));
  if (response.status != 200 && response.status != 400 && response.status != 415) __builtin_trap();
  if (LeaksAKey(response)) __builtin_trap();  // a key in a response
  return 0;
}
