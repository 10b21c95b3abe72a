// An OwnerResolver for tests: pods and their owners from a map, as the
// cluster would report them, with a switch to make every lookup fail.
#pragma once
#include <map>
#include <string>

#include "check/owner_resolver.h"

namespace keyward {

struct FakeOwners : OwnerResolver {
  std::map<std::string, PodOwner> pods;  // "namespace/pod"; absent: not found
  bool unavailable = false;
  int calls = 0;

  OwnerLookup Resolve(const std::string& ns, const std::string& pod) override {
    ++calls;
    OwnerLookup r;
    if (unavailable) {
      r.outcome = OwnerLookup::Outcome::kUnavailable;
      r.error = "503 ServiceUnavailable";
      return r;
    }
    auto it = pods.find(ns + "/" + pod);
    if (it == pods.end()) r.outcome = OwnerLookup::Outcome::kPodNotFound;
    else r.owner = it->second;
    return r;
  }
};

}  // namespace keyward
