// The listener's cap on TLS handshakes in flight per source address (the
// peer port's), with clients on 127.0.0.1 and 127.0.0.2.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

#include "server/listener.h"

namespace keyward {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/keyward-sources-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

HttpResponse Ok(const HttpRequest& r) {
  HttpResponse out;
  out.body = "ok " + std::string(r.path);
  return out;
}

struct TlsServer {
  TempDir dir;
  std::unique_ptr<TlsFiles> tls;
  std::unique_ptr<Listener> listener;
  explicit TlsServer(int per_source) {
    std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1"
                      " -subj /CN=peer -keyout " + (dir.path / "tls.key").string() +
                      " -out " + (dir.path / "tls.crt").string() + " >/dev/null 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    tls = std::make_unique<TlsFiles>((dir.path / "tls.crt").string(), (dir.path / "tls.key").string());
    EXPECT_TRUE(tls->Load().ok());
    ListenerOptions o;
    o.address = "127.0.0.1";
    o.threads = 2;
    o.max_handshakes_per_source = per_source;
    listener = std::make_unique<Listener>(o, Ok, tls.get());
    Status s = listener->Start();
    EXPECT_TRUE(s.ok()) << s.message();
  }
  std::uint16_t port() const { return listener->port(); }
  void WaitConnections(int n) {
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (listener->connections() != n && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(2ms);
    }
    EXPECT_EQ(listener->connections(), n);
  }
};

// A TCP connection from |from| (an address of 127.0.0.0/8) that sends
// nothing: to the server, a TLS handshake that never goes on.
struct SilentClient {
  asio::io_context io;
  tcp::socket socket{io};
  SilentClient(std::uint16_t port, const char* from) {
    socket.open(tcp::v4());
    socket.bind(tcp::endpoint(asio::ip::make_address(from), 0));
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }
  // True when the server closes the connection within |limit|.
  bool ClosedWithin(std::chrono::milliseconds limit) {
    struct timeval tv{static_cast<long>(limit.count() / 1000), static_cast<long>(limit.count() % 1000) * 1000};
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char byte;
    return ::recv(socket.native_handle(), &byte, 1, 0) == 0;
  }
};

// A TLS client from |from| that finishes its handshake and asks /ok.
struct TlsClient {
  asio::io_context io;
  asio::ssl::context ctx{asio::ssl::context::tls_client};
  beast::ssl_stream<beast::tcp_stream> stream{io, ctx};
  bool Connect(std::uint16_t port, const char* from) {
    auto& socket = beast::get_lowest_layer(stream).socket();
    socket.open(tcp::v4());
    socket.bind(tcp::endpoint(asio::ip::make_address(from), 0));
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    beast::get_lowest_layer(stream).expires_after(5s);
    beast::error_code ec;
    stream.handshake(asio::ssl::stream_base::client, ec);
    return !ec;
  }
  std::string Get() {
    http::request<http::empty_body> req{http::verb::get, "/ok", 11};
    req.set(http::field::host, "127.0.0.1");
    beast::error_code ec;
    http::write(stream, req, ec);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    if (!ec) http::read(stream, buffer, res, ec);
    return ec ? ec.message() : res.body();
  }
};

TEST(ListenerSources, HandshakesInFlightAreCappedPerSourceOthersAreServed) {
  TlsServer server(3);
  std::vector<std::unique_ptr<SilentClient>> stuck;
  for (int i = 0; i < 3; ++i) stuck.push_back(std::make_unique<SilentClient>(server.port(), "127.0.0.1"));
  server.WaitConnections(3);

  SilentClient fourth(server.port(), "127.0.0.1");
  EXPECT_TRUE(fourth.ClosedWithin(1000ms));  // at once, not after the 10 s header timeout
  EXPECT_EQ(server.listener->refused_per_source(), 1);

  TlsClient other;  // another source is not held up by the first
  ASSERT_TRUE(other.Connect(server.port(), "127.0.0.2"));
  EXPECT_EQ(other.Get(), "ok /ok");

  stuck.pop_back();  // one handshake of 127.0.0.1 ends: its place is free
  server.WaitConnections(3);
  TlsClient again;
  ASSERT_TRUE(again.Connect(server.port(), "127.0.0.1"));
  EXPECT_EQ(again.Get(), "ok /ok");
}

TEST(ListenerSources, AFinishedHandshakeGivesItsPlaceBack) {
  TlsServer server(2);
  std::vector<std::unique_ptr<TlsClient>> open;
  for (int i = 0; i < 5; ++i) {  // all kept open, more than the cap
    open.push_back(std::make_unique<TlsClient>());
    ASSERT_TRUE(open.back()->Connect(server.port(), "127.0.0.1")) << i;
  }
  for (auto& c : open) EXPECT_EQ(c->Get(), "ok /ok");
  EXPECT_EQ(server.listener->refused_per_source(), 0);
}

TEST(ListenerSources, WithoutTheCapEveryHandshakeWaits) {
  TlsServer server(0);
  std::vector<std::unique_ptr<SilentClient>> stuck;
  for (int i = 0; i < 10; ++i) stuck.push_back(std::make_unique<SilentClient>(server.port(), "127.0.0.1"));
  server.WaitConnections(10);
  EXPECT_FALSE(stuck.back()->ClosedWithin(200ms));
}

}  // namespace
}  // namespace keyward
