// An HTTP/1.1 server on Boost.Beast, with TLS or without: keep-alive, body
// and header limits, read timeouts, a connection cap. One thread per core.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
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
  // Requests whose path this accepts run on a pool of their own
  // (blocking_threads), so a handler that waits on the API server never
  // holds a serving thread and /v1/check never queues behind it. With
  // blocking_threads + blocking_queue of them in progress, one more gets
  // 503 at once (with Retry-After). Unset: every handler runs inline.
  std::function<bool(std::string_view path)> blocking;
  int blocking_threads = 4;
  int blocking_queue = 60;
  // TLS handshakes in flight from one source address; above it a new
  // connection from there is closed at once, so one source cannot hold
  // every slot for a header_timeout each. 0: no such cap.
  int max_handshakes_per_source = 0;
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
  // Connections closed because their source had max_handshakes_per_source.
  std::int64_t refused_per_source() const;
  // Accepts that failed (EMFILE and the like), each followed by a pause.
  std::int64_t accept_errors() const;
  // Blocking requests (ListenerOptions::blocking) in progress, and those
  // refused with 503 because the pool and its queue were full.
  int blocking_in_progress() const;
  std::int64_t blocking_refused() const;

  struct Worker;  // an io_context, its thread and its acceptor
  struct Shared;  // what every connection reads: options, handler, counters

 private:
  std::unique_ptr<Shared> shared_;  // holds the blocking pool
  std::vector<std::unique_ptr<Worker>> workers_;
  std::uint16_t port_ = 0;
};

}  // namespace keyward
