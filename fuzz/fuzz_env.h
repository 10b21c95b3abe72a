// The world every fuzz target decides against: a key index with two known
// keys, pods with owners, quotas and a clock that never moves.
#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "check/fake_owners.h"
#include "server/check_endpoints.h"
#include "webhooks/admission.h"

namespace keyward {

// The keys the seed corpus holds (valid format and checksum; minted for the
// fuzzers, never for a cluster). kFuzzKey: namespaces prod and team-*;
// kFuzzContainerKey: container "app" of replica set "web" with a filter and
// a quota of 3 per second.
inline constexpr const char* kFuzzKey = "kw_FuzzKeyPermanent0000000000000A39z6G5";
inline constexpr const char* kFuzzContainerKey = "kw_FuzzKeyContainer0000000000000B2sGOml";

struct FuzzEnv {
  FuzzEnv();
  KeyIndex index{"pepper-for-fuzzing-0123456789abcdef"};
  FakeOwners owners;
  QuotaBook quotas;
  CheckService service{index, owners, quotas};
  CheckEndpointsEnv endpoints;
  AdmissionEnv admission;
};

// Whether |response| (body or any header) holds one of the keys above.
bool LeaksAKey(const HttpResponse& response);

// One environment per fuzzer process, built on first use.
FuzzEnv& TheFuzzEnv();

// A POST over TLS whose body views |body| (kept alive by the caller).
HttpRequest PostRequest(std::string_view body);

// "Name: value" lines of |data| as headers (a line without ':' is a header
// with an empty value), the way a proxy would forward them.
std::vector<std::pair<std::string_view, std::string_view>> HeaderLines(std::string_view data);

}  // namespace keyward
