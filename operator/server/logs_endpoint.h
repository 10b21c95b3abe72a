// GET /v1/logs/<namespace>/<pod>/<container>: a container's log for a key,
// decided with container scope, filtered by keyward, streamed from the API
// server with keyward's own credentials.
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "check/check_service.h"
#include "kube/pod_log_reader.h"
#include "server/capped_counts.h"
#include "server/http_message.h"
#include "server/metrics.h"

namespace keyward {

// Open log streams per ApiKey ("ns/name"), for --max-log-streams-per-key:
// one key cannot take every slot of the overall cap. Thread-safe.
using KeyStreamCounts = CappedCounts;

struct LogsEndpointEnv {
  CheckService* service = nullptr;
  Metrics* metrics = nullptr;  // optional
  std::function<std::unique_ptr<PodLogReader>()> new_reader;
  std::function<TimePoint()> now = [] { return Clock::now(); };
  std::atomic<int>* open_streams = nullptr;  // shared count, for the cap
  int max_streams = 64;
  KeyStreamCounts* per_key_streams = nullptr;  // null: no per-key cap
  int max_streams_per_key = 8;
};

// Query: follow, timestamps (true/false), sinceSeconds (> 0), tailLines
// (>= 0), as the Kubernetes API takes them; anything else is 400. The key
// (Authorization: Bearer, or Basic) is checked like /v1/check with action
// "log" and consumes one request of quota per stream: 401 unusable key, 403
// out of scope, 429 quota or the key's own streams at their cap, 503 too
// many streams overall or the API server
// unreachable; the API server's own 4xx (no such pod or container) passes
// through. 200 streams text/plain until the log ends, the client leaves, or
// the key stops being allowed. The key's rules are asked again whenever the
// key index changes (and every 250 ms): a new filter applies to the lines
// read after the change, a key no longer allowed ends the stream.
HttpResponse HandleLogs(const LogsEndpointEnv& env, const HttpRequest& request);

}  // namespace keyward
