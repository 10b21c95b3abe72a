// How a follower reaches the leader: one HTTPS POST over mutual TLS, both
// certificates from the peer CA (docs/replicas.md). An interface, so the
// sync loop is tested without sockets.
#pragma once
#include <chrono>
#include <memory>
#include <string>

namespace keyward {

struct PeerReply {
  int code = 0;        // HTTP status; 0: no answer (error says why)
  std::string body;
  std::string error;
};

class PeerTransport {
 public:
  virtual ~PeerTransport() = default;
  // POSTs |body| (JSON) to https://|address||path|.
  virtual PeerReply Post(const std::string& address, const std::string& path,
                         const std::string& body) = 0;
};

struct PeerTlsFiles {
  std::string cert_file, key_file;  // this replica's pair (client certificate)
  std::string ca_file;              // the peer CA bundle the leader's certificate must chain to
};

// Keeps one connection to the last address; the files are read again for
// every new connection (a renewed certificate applies at once). Every step
// (connect, handshake, write, read) is bounded by |timeout|.
std::unique_ptr<PeerTransport> MakeTlsPeerTransport(PeerTlsFiles files,
                                                    std::chrono::milliseconds timeout);

}  // namespace keyward
