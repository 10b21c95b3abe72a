#include "server/listener.h"

#include <spdlog/spdlog.h>
#include <openssl/crypto.h>
#include <sys/socket.h>

#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "server/beast_messages.h"
#include "server/capped_counts.h"

namespace keyward {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using boost::system::error_code;

struct Listener::Shared {
  ListenerOptions options;
  HttpHandler handler;
  TlsFiles* tls = nullptr;
  std::atomic<int> connections{0};
  std::atomic<std::int64_t> refused{0};
  std::atomic<std::int64_t> refused_per_source{0};
  std::atomic<std::int64_t> accept_errors{0};
  std::unique_ptr<asio::thread_pool> pool;  // for ListenerOptions::blocking
  std::atomic<int> blocking{0};
  std::atomic<std::int64_t> blocking_refused{0};
  CappedCounts handshakes;  // in flight, per source address
};

struct Listener::Worker {
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::thread thread;
};

namespace {

// Decrements the live connection count when a connection's coroutine ends.
struct Counted {
  std::atomic<int>& count;
  ~Counted() { --count; }
};

HttpResponse CallHandler(const HttpHandler& handler, const HttpRequest& request) {
  try {
    return handler(request);
  } catch (const std::exception& e) {
    // Never the request: its headers and body may hold a key.
    spdlog::error("handler for {} {} failed: {}", request.method, request.path, e.what());
    return JsonError(500, "internal error");
  }
}

// Runs the handler on the blocking pool and resumes on the connection's own
// thread; 503 when the pool and its queue are full. The request's storage
// lives in the caller's frame until this returns (Stop joins the pool
// before it destroys any connection).
awaitable<HttpResponse> CallOnPool(Listener::Shared& s, const HttpRequest& request) {
  const int limit = std::max(1, s.options.blocking_threads) + std::max(0, s.options.blocking_queue);
  if (s.blocking.fetch_add(1) >= limit) {
    --s.blocking;
    ++s.blocking_refused;
    HttpResponse busy = JsonError(503, "busy: too many requests that wait on the API server; retry");
    busy.headers.emplace_back("Retry-After", "1");
    co_return busy;
  }
  HttpResponse out = co_await asio::co_spawn(
      s.pool->get_executor(),
      [&s, &request]() -> awaitable<HttpResponse> { co_return CallHandler(s.handler, request); },
      asio::use_awaitable);
  --s.blocking;
  co_return out;
}

template <class Stream>
awaitable<void> WriteError(Stream& stream, int status, unsigned version) {
  error_code ec;
  const char* text = status == 413   ? "request body larger than 1 MiB"
                     : status == 431 ? "request headers too large"
                                     : "malformed HTTP request";
  BeastResponse res = ToBeast(JsonError(status, text), version ? version : 11, false);
  co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
}

// Sends a streamed body: the header, then each piece as a chunk as soon as
// Take has it (polled every 20 ms while idle), then the last chunk. A write
// that fails or times out (a client that stopped reading) cancels the
// producer. The connection is closed afterwards.
template <class Stream>
awaitable<void> WriteStream(Stream& stream, Listener::Shared& s, HttpResponse& out, unsigned version) {
  http::response<http::empty_body> res{static_cast<http::status>(out.status), version};
  res.set(http::field::server, "keyward");
  res.set(http::field::content_type, out.content_type);
  SetHeaders(out.headers, res);
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(false);
  res.chunked(true);
  auto& lowest = beast::get_lowest_layer(stream);
  error_code ec;
  http::response_serializer<http::empty_body> sr{res};
  lowest.expires_after(s.options.body_timeout);
  co_await http::async_write_header(stream, sr, asio::redirect_error(asio::use_awaitable, ec));
  asio::steady_timer idle(co_await asio::this_coro::executor);
  std::string piece;
  while (!ec) {
    piece.clear();
    BodyStream::Poll poll = out.stream->Take(&piece);
    lowest.expires_after(s.options.body_timeout);
    if (poll == BodyStream::Poll::kData) {
      co_await asio::async_write(stream, http::make_chunk(asio::buffer(piece)),
                                 asio::redirect_error(asio::use_awaitable, ec));
    } else if (poll == BodyStream::Poll::kEnd) {
      co_await asio::async_write(stream, http::make_chunk_last(),
                                 asio::redirect_error(asio::use_awaitable, ec));
      break;
    } else {
      idle.expires_after(std::chrono::milliseconds(20));
      co_await idle.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
  out.stream->Cancel();
}

// Reads requests and writes responses until the peer closes, a timeout, an
// error, or "Connection: close".
template <class Stream>
awaitable<void> ServeRequests(Stream& stream, Listener::Shared& s, bool tls) {
  beast::flat_buffer buffer;
  auto& lowest = beast::get_lowest_layer(stream);
  for (;;) {
    error_code ec;
    http::request_parser<http::string_body> parser;
    parser.body_limit(s.options.max_body_bytes);
    parser.header_limit(static_cast<std::uint32_t>(s.options.max_header_bytes));
    lowest.expires_after(s.options.header_timeout);
    co_await http::async_read_header(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (!ec && beast::iequals(parser.get()[http::field::expect], "100-continue")) {
      http::response<http::empty_body> cont{http::status::continue_, parser.get().version()};
      co_await http::async_write(stream, cont, asio::redirect_error(asio::use_awaitable, ec));
    }
    if (!ec) {
      lowest.expires_after(s.options.body_timeout);
      co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec) {
      if (int status = StatusForReadError(ec)) co_await WriteError(stream, status, parser.get().version());
      co_return;
    }
    BeastRequest& req = parser.get();
    const bool keep_alive = req.keep_alive();
    const HttpRequest view = ViewOf(req, tls);
    HttpResponse out;  // not "a ? co_await b : c": GCC 12 miscompiles co_await in ?:
    if (s.pool && s.options.blocking(view.path)) {
      out = co_await CallOnPool(s, view);
    } else {
      out = CallHandler(s.handler, view);
    }
    WipeCredentials(req);
    if (out.stream) {
      co_await WriteStream(stream, s, out, req.version());
      co_return;
    }
    const bool sensitive = out.sensitive;
    BeastResponse res = ToBeast(std::move(out), req.version(), keep_alive);
    lowest.expires_after(s.options.body_timeout);
    co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
    if (sensitive) OPENSSL_cleanse(res.body().data(), res.body().size());
    if (ec || !keep_alive) co_return;
  }
}

awaitable<void> ServePlain(tcp::socket socket, Listener::Shared& s) {
  Counted counted{s.connections};
  beast::tcp_stream stream(std::move(socket));
  co_await ServeRequests(stream, s, false);
  error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

// |handshake|: this connection's place among its source's handshakes in
// flight, given back as soon as the handshake ends.
awaitable<void> ServeTls(tcp::socket socket, Listener::Shared& s, CappedCounts::Slot handshake) {
  Counted counted{s.connections};
  SslContextPtr ctx = s.tls->Current();  // kept alive by this frame
  beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *ctx);
  error_code ec;
  beast::get_lowest_layer(stream).expires_after(s.options.header_timeout);
  co_await stream.async_handshake(asio::ssl::stream_base::server,
                                  asio::redirect_error(asio::use_awaitable, ec));
  handshake.Release();
  if (ec) co_return;  // TLS 1.1, plain HTTP on the TLS port, a scanner: just close
  co_await ServeRequests(stream, s, true);
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(1));
  co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
}

// A place among the handshakes in flight from |socket|'s source address
// (an empty one without the cap); nullopt when that source has
// max_handshakes_per_source already.
std::optional<CappedCounts::Slot> TakeHandshake(Listener::Shared& s, const tcp::socket& socket) {
  if (!s.tls || s.options.max_handshakes_per_source <= 0) return CappedCounts::Slot();
  error_code ec;
  const tcp::endpoint peer = socket.remote_endpoint(ec);
  if (ec) return std::nullopt;  // gone already
  std::string source = peer.address().to_string();
  if (!s.handshakes.Take(source, s.options.max_handshakes_per_source)) return std::nullopt;
  return std::optional<CappedCounts::Slot>(std::in_place, &s.handshakes, std::move(source));
}

awaitable<void> AcceptLoop(tcp::acceptor& acceptor, Listener::Shared& s) {
  asio::steady_timer pause(acceptor.get_executor());
  std::chrono::milliseconds backoff(0);
  for (;;) {
    error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      // EMFILE, ENFILE, ENOBUFS: the pending connection stays queued and
      // accepting again at once would spin a core. Wait for descriptors to
      // be freed, longer each time (10 ms .. 1 s), then try again.
      ++s.accept_errors;
      backoff = std::min(backoff == std::chrono::milliseconds(0) ? std::chrono::milliseconds(10) : backoff * 2,
                         std::chrono::milliseconds(1000));
      pause.expires_after(backoff);
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    backoff = std::chrono::milliseconds(0);
    if (s.connections.load() >= s.options.max_connections) {
      ++s.refused;
      socket.close(ec);
      continue;
    }
    std::optional<CappedCounts::Slot> handshake = TakeHandshake(s, socket);
    if (!handshake) {
      ++s.refused_per_source;
      socket.close(ec);
      continue;
    }
    ++s.connections;
    socket.set_option(tcp::no_delay(true), ec);
    auto executor = acceptor.get_executor();
    if (s.tls) {
      asio::co_spawn(executor, ServeTls(std::move(socket), s, std::move(*handshake)), asio::detached);
    } else {
      asio::co_spawn(executor, ServePlain(std::move(socket), s), asio::detached);
    }
  }
}

using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

Status Bind(tcp::acceptor& acceptor, const tcp::endpoint& endpoint) {
  error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.set_option(ReusePort(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::Error(ec.message());
  return Status();
}

}  // namespace

Listener::Listener(ListenerOptions options, HttpHandler handler, TlsFiles* tls)
    : shared_(std::make_unique<Shared>()) {
  shared_->options = std::move(options);
  shared_->handler = std::move(handler);
  shared_->tls = tls;
}

Listener::~Listener() { Stop(); }

int Listener::connections() const { return shared_->connections.load(); }
std::int64_t Listener::refused() const { return shared_->refused.load(); }
std::int64_t Listener::refused_per_source() const { return shared_->refused_per_source.load(); }
std::int64_t Listener::accept_errors() const { return shared_->accept_errors.load(); }
int Listener::blocking_in_progress() const { return shared_->blocking.load(); }
std::int64_t Listener::blocking_refused() const { return shared_->blocking_refused.load(); }

Status Listener::Start() {
  error_code ec;
  auto address = asio::ip::make_address(shared_->options.address, ec);
  if (ec) return Status::Error("\"" + shared_->options.address + "\" is not an IP address");
  std::uint16_t port = shared_->options.port;
  const int threads = std::max(1, shared_->options.threads);
  for (int i = 0; i < threads; ++i) {
    auto worker = std::make_unique<Worker>();
    Status bound = Bind(worker->acceptor, tcp::endpoint(address, port));
    if (!bound.ok()) {
      Stop();
      return bound.Prefixed("listening on " + shared_->options.address + ":" + std::to_string(port));
    }
    port = worker->acceptor.local_endpoint().port();  // the others share it (SO_REUSEPORT)
    workers_.push_back(std::move(worker));
  }
  port_ = port;
  if (shared_->options.blocking) {
    shared_->pool = std::make_unique<asio::thread_pool>(std::max(1, shared_->options.blocking_threads));
  }
  for (auto& w : workers_) {
    asio::co_spawn(w->io, AcceptLoop(w->acceptor, *shared_), asio::detached);
    w->thread = std::thread([io = &w->io] { io->run(); });
  }
  return Status();
}

void Listener::Stop() {
  for (auto& w : workers_) {
    asio::post(w->io, [a = &w->acceptor] {
      error_code ec;
      a->close(ec);
    });
  }
  // The pool first: a handler that runs there reads its connection's
  // request, so every one (at most blocking_threads + blocking_queue) must
  // be done before a connection can go.
  if (shared_->pool) shared_->pool->join();
  for (auto& w : workers_) w->io.stop();
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
  }
  workers_.clear();  // destroys pending connections with their io_context
  shared_->pool.reset();
}

}  // namespace keyward
