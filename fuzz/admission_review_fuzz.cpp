// POST /validate and /mutate: any bytes as the AdmissionReview body.
#include <cstddef>
#include <cstdint>

#include "fuzz_env.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace keyward;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  const AdmissionEnv& env = TheFuzzEnv().admission;
  for (auto* handler : {HandleValidate, HandleMutate}) {
    HttpResponse response = handler(env, PostRequest(body));
    if (response.status != 200 && response.status != 400 && response.status != 415) __builtin_trap();
  }
  return 0;
}
