// What replicas say to each other (docs/replicas.md): a follower's sync
// request (its usage counts) and the leader's answer (its counts, and the
// volatile keys' digests). JSON in, JSON out; pure, never a key's value.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "keys/key_hash.h"
#include "keys/quota_book.h"
#include "keys/volatile_key_store.h"

namespace keyward {

inline constexpr char kPeerSyncPath[] = "/v1/peer/sync";

struct SyncRequest {
  std::string instance;  // this process (random at start): counts are cumulative per instance
  std::string identity;  // the replica's name (--leader-elect-identity), for logs and metrics
  std::string epoch;     // the leader epoch the counts were reported in; "" at first
  std::uint64_t usage_since = 0;      // the leader's usage version last received
  std::uint64_t volatile_version = 0; // the leader's volatile-key version last received
  std::vector<QuotaBook::Report> usage;  // cumulative counts this epoch (Report::counts)
};

struct SyncResponse {
  std::string epoch;   // the leader's epoch (changes whenever a replica becomes leader)
  std::string leader;  // its identity
  std::uint64_t usage_version = 0;
  std::vector<QuotaBook::Report> usage;  // the leader's counts of keys changed since usage_since
  bool volatile_included = false;        // false: the follower's copy is current
  std::uint64_t volatile_version = 0;
  std::vector<VolatileKeyStore::Held> volatile_keys;
};

std::string EncodeSyncRequest(const SyncRequest& request);
Result<SyncRequest> DecodeSyncRequest(std::string_view body);
// Digests are written as status.keyHash is ("hmac-sha256:<pepper id>:<hex>").
std::string EncodeSyncResponse(const SyncResponse& response, const std::string& pepper_id);
// A digest of a pepper other than |pepper_id| is an error: the follower
// would index a digest it cannot match.
Result<SyncResponse> DecodeSyncResponse(std::string_view body, const std::string& pepper_id);

}  // namespace keyward
