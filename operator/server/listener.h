// An HTTP/1.1 server on Boost.Beast, with TLS or without: keep-alive, body
// and header limits, read timeouts, a connection cap. One thread per core.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "server/http_message.h"
#include "server/tls_files.h"

namespace keyward {

struct ListenerOptions {
  std::string address = "0.0.0.0";  // "::" for IPv6, "127.0.0.1" for loopback only
  std::uint16_t port = 0;           // 0: any free port (see Listener::port())
  int threads = 1;                  // one io_context and acceptor (SO_REUSEPORT) each
  std::size_t max_body_bytes = 1 << 20;                     // larger bodies get 413
  std::size_t max_header_bytes = 16 << 10;                  // larger headers get 431
  std::chrono::milliseconds header_timeout{10000};          // TLS handshake, headers, keep-alive idle
  std::chrono::milliseconds body_timeout{30000};            // reading a body, writing a response
  int max_connections = 10000;      // above it a new connection is closed at once
};

class Listener {
 public:
  // |tls| null: plain HTTP (the metrics port). Otherwise each new connection
  // uses tls->Current(), so a reloaded certificate applies at once.
  Listener(ListenerOptions options, HttpHandler handler, TlsFiles* tls);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Binds and starts serving; an error names the address.
  Status Start();
  // Closes the listening sockets and every connection; joins the threads.
  void Stop();

  std::uint16_t port() const { return port_; }
  int connections() const;
  std::int64_t refused() const;
  // Accepts that failed (EMFILE and the like), each followed by a pause.
  std::int64_t accept_errors() const;

  struct Worker;  // an io_context, its thread and its acceptor
  struct Shared;  // what every connection reads: options, handler, counters

 private:
  std::unique_ptr<Shared> shared_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::uint16_t port_ = 0;
};

}  // namespace keyward
