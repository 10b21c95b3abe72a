// Reads one container's log from the API server (pods/log) as it is
// written: a streaming GET whose body is handed over piece by piece.
#pragma once
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "kube/credentials.h"
#include "kube/kube_config.h"

namespace keyward {

struct PodLogRequest {
  std::string namespace_name;
  std::string pod;
  std::string container;
  bool follow = false;
  std::optional<long long> since_seconds;
  std::optional<long long> tail_lines;
  bool timestamps = false;
  // "/api/v1/namespaces/<ns>/pods/<pod>/log?container=...&follow=true..."
  std::string Target() const;
};

// What opening the stream gave: HTTP status 200, or the API server's code
// and its message (404 pod not found, 400 container not found, 403 ...);
// code 0 when the API server could not be reached.
struct PodLogOpen {
  int code = 0;
  std::string message;
  bool ok() const { return code == 200; }
};

class PodLogReader {
 public:
  virtual ~PodLogReader() = default;
  enum class Read { kData, kTimeout, kEnd, kError };
  // Sends the request and reads the answer's header: 200 and the log
  // follows through ReadSome, or the refusal. Bounded in time.
  virtual PodLogOpen Open(const PodLogRequest& request) = 0;
  // Appends the next bytes of the log to |out| (kData); waits at most
  // |wait| for them (kTimeout); kEnd when the API server ended the log,
  // kError when the connection failed.
  virtual Read ReadSome(std::string* out, std::chrono::milliseconds wait) = 0;
};

struct PodLogReaderOptions {
  // Open's whole budget: resolving, connecting, the TLS handshake, the
  // request, the response's header and a refusal's message. Past it Open
  // fails with code 0, so an API server (or the kubelet behind it) that
  // accepts and never answers costs a handler at most this long. 10 s:
  // well above a healthy open (milliseconds), under a client's patience.
  std::chrono::milliseconds open_timeout{10000};
  // Where the token and client certificate come from; shared by every
  // reader so an exec plugin runs once per credential, not per stream.
  // Unset: the config's own (MakeCredentialSource).
  std::shared_ptr<CredentialSource> credentials;
};

// One reader per stream, over HTTPS with the config's CA (checked against
// tls-server-name when set) and credentials, read at Open.
std::unique_ptr<PodLogReader> MakeHttpsPodLogReader(const KubeConfig& config,
                                                    PodLogReaderOptions options = {});

}  // namespace keyward
