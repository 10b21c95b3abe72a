// The listener on 127.0.0.1 with real sockets and certificates made here.
#include "server/listener.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdlib>
#include <filesystem>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

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
    char tmpl[] = "/tmp/keyward-listener-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

// A self-signed certificate for 127.0.0.1 with common name |cn|.
void MakeCert(const std::filesystem::path& dir, const std::string& cn) {
  std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1"
                    " -subj /CN=" + cn + " -keyout " + (dir / "tls.key.new").string() +
                    " -out " + (dir / "tls.crt.new").string() + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::filesystem::rename(dir / "tls.key.new", dir / "tls.key");
  std::filesystem::rename(dir / "tls.crt.new", dir / "tls.crt");
}

HttpResponse Echo(const HttpRequest& r) {
  if (r.path == "/throw") throw std::runtime_error("boom");
  HttpResponse out;
  if (r.path == "/inject") {  // a tenant's value that reached a header
    out.headers.emplace_back("X-Keyward-Filter", "x\r\nRemote-User: admin");
    out.headers.emplace_back("X-Bad\r\nName", "v");
    out.headers.emplace_back("X-Keyward-Scope", "filter");
  }
  out.body = std::string(r.method) + " " + std::string(r.path) + " " + std::to_string(r.body.size());
  return out;
}

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

struct TlsClient {
  asio::io_context io;
  asio::ssl::context ctx{asio::ssl::context::tls_client};
  std::unique_ptr<TlsStream> stream;
  beast::flat_buffer buffer;

  // Connects; false when the handshake is refused.
  bool Connect(std::uint16_t port, int max_version = 0) {
    ctx.set_verify_mode(asio::ssl::verify_none);
    if (max_version) SSL_CTX_set_max_proto_version(ctx.native_handle(), max_version);
    if (max_version && max_version < TLS1_2_VERSION) {
      // OpenSSL 3's default security level cannot speak TLS 1.1 at all;
      // without this the refusal below would prove nothing.
      SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_VERSION);
      SSL_CTX_set_cipher_list(ctx.native_handle(), "DEFAULT@SECLEVEL=0");
    }
    stream = std::make_unique<TlsStream>(io, ctx);
    beast::get_lowest_layer(*stream).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    beast::get_lowest_layer(*stream).expires_after(5s);
    beast::error_code ec;
    stream->handshake(asio::ssl::stream_base::client, ec);
    return !ec;
  }
  std::string PeerCommonName() {
    X509* cert = SSL_get_peer_certificate(stream->native_handle());
    char cn[256] = {0};
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof(cn));
    X509_free(cert);
    return cn;
  }
  http::response<http::string_body> Send(const std::string& target, std::string body = "") {
    http::request<http::string_body> req{body.empty() ? http::verb::get : http::verb::post, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.body() = std::move(body);
    req.prepare_payload();
    http::write(*stream, req);
    http::response<http::string_body> res;
    http::read(*stream, buffer, res);
    return res;
  }
};

struct TlsServer {
  TempDir dir;
  std::unique_ptr<TlsFiles> tls;
  std::unique_ptr<Listener> listener;
  explicit TlsServer(ListenerOptions o = {}) {
    MakeCert(dir.path, "first");
    tls = std::make_unique<TlsFiles>((dir.path / "tls.crt").string(), (dir.path / "tls.key").string());
    EXPECT_TRUE(tls->Load().ok());
    o.address = "127.0.0.1";
    o.threads = 2;
    listener = std::make_unique<Listener>(o, Echo, tls.get());
    Status s = listener->Start();
    EXPECT_TRUE(s.ok()) << s.message();
  }
  std::uint16_t port() const { return listener->port(); }
};

// Raw bytes over plain TCP, for what a well-behaved client would not send.
struct RawClient {
  asio::io_context io;
  tcp::socket socket{io};
  explicit RawClient(std::uint16_t port) {
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }
  void Write(const std::string& bytes) { asio::write(socket, asio::buffer(bytes)); }
  // Everything until the peer closes (or |limit| passes).
  std::string ReadUntilClosed(std::chrono::milliseconds limit = 5000ms) {
    struct timeval tv{static_cast<long>(limit.count() / 1000), static_cast<long>(limit.count() % 1000) * 1000};
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    std::string out;
    char buf[4096];
    for (;;) {
      ssize_t n = ::recv(socket.native_handle(), buf, sizeof(buf), 0);
      if (n <= 0) return n == 0 ? out : out + "<timeout>";
      out.append(buf, static_cast<std::size_t>(n));
    }
  }
};

TEST(Listener, TlsRoundTripsWithKeepAlive) {
  TlsServer server;
  TlsClient c;
  ASSERT_TRUE(c.Connect(server.port()));
  EXPECT_EQ(c.Send("/a").body(), "GET /a 0");
  EXPECT_EQ(c.Send("/b?x=1", "hello").body(), "POST /b 5");  // same connection
  EXPECT_EQ(server.listener->connections(), 1);
}

// One TLS handshake accepted by a plain OpenSSL server that still allows
// TLS 1.1, on |dir|'s certificate: the control for the test below.
bool LegacyServerAccepts(const std::filesystem::path& dir, TlsClient& client) {
  asio::io_context io;
  asio::ssl::context ctx{asio::ssl::context::tls_server};
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_VERSION);
  SSL_CTX_set_cipher_list(ctx.native_handle(), "DEFAULT@SECLEVEL=0");
  ctx.use_certificate_chain_file((dir / "tls.crt").string());
  ctx.use_private_key_file((dir / "tls.key").string(), asio::ssl::context::pem);
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::thread serve([&] {
    asio::ssl::stream<tcp::socket> s(io, ctx);
    boost::system::error_code ec;
    acceptor.accept(s.next_layer(), ec);
    if (!ec) s.handshake(asio::ssl::stream_base::server, ec);
  });
  bool ok = client.Connect(acceptor.local_endpoint().port(), TLS1_1_VERSION);
  serve.join();
  return ok && SSL_version(client.stream->native_handle()) == TLS1_1_VERSION;
}

TEST(Listener, Tls11IsRefusedTls12And13Work) {
  TlsServer server;
  TlsClient control, old, v12, v13;
  ASSERT_TRUE(LegacyServerAccepts(server.dir.path, control)) << "this client cannot speak TLS 1.1";
  EXPECT_FALSE(old.Connect(server.port(), TLS1_1_VERSION));
  ASSERT_TRUE(v12.Connect(server.port(), TLS1_2_VERSION));
  EXPECT_EQ(v12.Send("/x").result_int(), 200);
  ASSERT_TRUE(v13.Connect(server.port(), TLS1_3_VERSION));
  EXPECT_EQ(v13.Send("/x").result_int(), 200);
}

TEST(Listener, BodyOverOneMiBGets413AndTheServerGoesOn) {
  TlsServer server;
  TlsClient big;
  ASSERT_TRUE(big.Connect(server.port()));
  http::request<http::string_body> req{http::verb::post, "/v1/check", 11};
  req.body() = std::string(2 << 20, 'a');
  req.prepare_payload();
  beast::error_code ec;
  http::write(*big.stream, req, ec);  // may be cut short: the server answers after the headers
  http::response<http::string_body> res;
  http::read(*big.stream, big.buffer, res, ec);
  EXPECT_EQ(res.result_int(), 413);
  TlsClient next;
  ASSERT_TRUE(next.Connect(server.port()));
  EXPECT_EQ(next.Send("/after").result_int(), 200);
}

TEST(Listener, HandlerThatThrowsGives500AndServingGoesOn) {
  TlsServer server;
  TlsClient c;
  ASSERT_TRUE(c.Connect(server.port()));
  EXPECT_EQ(c.Send("/throw").result_int(), 500);
  EXPECT_EQ(c.Send("/fine").result_int(), 200);
}

TEST(Listener, AHeaderValueWithCrOrLfIsNeverWritten) {
  TlsServer server;
  TlsClient c;
  ASSERT_TRUE(c.Connect(server.port()));
  auto res = c.Send("/inject");
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res["X-Keyward-Scope"], "filter");
  EXPECT_EQ(res.count("Remote-User"), 0u);
  EXPECT_EQ(res.count("X-Keyward-Filter"), 0u);
  EXPECT_EQ(c.Send("/fine").result_int(), 200);  // the connection is still in step
}

TEST(Listener, ReloadedCertificateServesNewConnectionsOldOnesKeepWorking) {
  TlsServer server;
  server.tls->StartWatching(20ms);
  TlsClient before;
  ASSERT_TRUE(before.Connect(server.port()));
  EXPECT_EQ(before.PeerCommonName(), "first");
  MakeCert(server.dir.path, "second");
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (server.tls->reloads() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_EQ(server.tls->reloads(), 1);
  TlsClient after;
  ASSERT_TRUE(after.Connect(server.port()));
  EXPECT_EQ(after.PeerCommonName(), "second");
  EXPECT_EQ(before.Send("/still").result_int(), 200);  // not dropped
}

TEST(Listener, BadFilesAreRefusedNamingTheFile) {
  TempDir dir;
  TlsFiles missing((dir.path / "nope.crt").string(), (dir.path / "nope.key").string());
  Status s = missing.Load();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("nope.crt"), std::string::npos) << s.message();
}

struct PlainServer {
  std::unique_ptr<Listener> listener;
  explicit PlainServer(ListenerOptions o) {
    o.address = "127.0.0.1";
    listener = std::make_unique<Listener>(o, Echo, nullptr);
    Status s = listener->Start();
    EXPECT_TRUE(s.ok()) << s.message();
  }
  std::uint16_t port() const { return listener->port(); }
};

TEST(Listener, MalformedRequestGets400) {
  PlainServer server{{}};
  RawClient c(server.port());
  c.Write("GARBAGE\r\n\r\n");
  EXPECT_NE(c.ReadUntilClosed().find("400"), std::string::npos);
}

TEST(Listener, SlowClientIsCutOffAfterTheHeaderTimeout) {
  ListenerOptions o;
  o.header_timeout = 300ms;
  PlainServer server(o);
  RawClient slow(server.port());
  slow.Write("POST /v1/check HTTP/1.1\r\nHost: x\r\n");  // and then nothing
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(slow.ReadUntilClosed(5000ms), "");  // closed, not timed out on our side
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  RawClient next(server.port());
  next.Write("GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(next.ReadUntilClosed().find("GET /ok 0"), std::string::npos);
}

TEST(Listener, ABodyThatStopsHalfwayIsCutOffAfterTheBodyTimeout) {
  ListenerOptions o;
  o.header_timeout = 10s;  // the headers are complete: only the body timeout may end this
  o.body_timeout = 300ms;
  PlainServer server(o);
  RawClient slow(server.port());
  slow.Write("POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"namespace\"");
  auto start = std::chrono::steady_clock::now();
  std::string got = slow.ReadUntilClosed(8000ms);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s) << "held open past the body timeout";
  EXPECT_EQ(got.find("POST /v1/check"), std::string::npos) << "a half body reached the handler";
  RawClient next(server.port());
  next.Write("GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(next.ReadUntilClosed().find("GET /ok 0"), std::string::npos);
}

// Out of descriptors, accept fails with EMFILE while the connection stays
// queued. Before, the loop accepted again at once and spun a core; now it
// pauses (10 ms, doubling to 1 s) and serves the client once a descriptor
// is free.
TEST(Listener, OutOfDescriptorsTheAcceptLoopBacksOffThenServes) {
  ListenerOptions o;
  o.threads = 1;
  PlainServer server(o);
  int client = ::socket(AF_INET, SOCK_STREAM, 0);  // made while descriptors are free
  ASSERT_GE(client, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(server.port());
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  rlimit was{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &was), 0);
  // The lowest free descriptor: every one below it is taken, so with the
  // limit there no new descriptor can be made, the server's accept included.
  int lowest = ::dup(0);
  ASSERT_GE(lowest, 0);
  ::close(lowest);
  rlimit tight = was;
  tight.rlim_cur = static_cast<rlim_t>(lowest);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &tight), 0);
  int connected = ::connect(client, reinterpret_cast<sockaddr*>(&to), sizeof(to));
  std::this_thread::sleep_for(700ms);
  const std::int64_t failed = server.listener->accept_errors();
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &was), 0);
  ASSERT_EQ(connected, 0);
  EXPECT_GE(failed, 1);
  EXPECT_LE(failed, 12) << "the accept loop spun instead of pausing";
  const std::string request = "GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(::send(client, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  timeval tv{5, 0};
  setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string got;
  char buf[4096];
  for (ssize_t n; (n = ::recv(client, buf, sizeof(buf), 0)) > 0;) got.append(buf, static_cast<std::size_t>(n));
  ::close(client);
  EXPECT_NE(got.find("GET /after 0"), std::string::npos) << got;
}

TEST(Listener, ConnectionsOverTheCapAreClosed) {
  ListenerOptions o;
  o.max_connections = 3;
  PlainServer server(o);
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < 3; ++i) idle.push_back(std::make_unique<RawClient>(server.port()));
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (server.listener->connections() < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(2ms);
  }
  RawClient refused(server.port());
  EXPECT_EQ(refused.ReadUntilClosed(), "");
  EXPECT_EQ(server.listener->refused(), 1);
  idle.pop_back();
  while (server.listener->connections() > 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(2ms);
  }
  RawClient ok(server.port());
  ok.Write("GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(ok.ReadUntilClosed().find("GET /ok 0"), std::string::npos);
}

TEST(Listener, AThousandIdleConnectionsThenAGoodRequest) {
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_cur < 2200 && lim.rlim_max >= 2200) {
    lim.rlim_cur = 2200;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  ASSERT_GE(lim.rlim_cur, 2200u) << "needs 2,200 file descriptors (ulimit -n)";
  TlsServer server;
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < 1000; ++i) idle.push_back(std::make_unique<RawClient>(server.port()));
  TlsClient c;
  ASSERT_TRUE(c.Connect(server.port()));
  EXPECT_EQ(c.Send("/after-idle").body(), "GET /after-idle 0");
}

}  // namespace
}  // namespace keyward

namespace keyward {
namespace {

// Three pieces, each released when the test says so, then the end.
struct ScriptedBody : BodyStream {
  std::mutex mu;
  std::vector<std::string> ready;
  bool end = false;
  std::atomic<bool> cancelled{false};
  Poll Take(std::string* out) override {
    std::lock_guard lock(mu);
    if (!ready.empty()) {
      *out += ready.front();
      ready.erase(ready.begin());
      return Poll::kData;
    }
    return end ? Poll::kEnd : Poll::kWait;
  }
  void Cancel() override { cancelled = true; }
  void Push(std::string s) {
    std::lock_guard lock(mu);
    ready.push_back(std::move(s));
  }
  void End() {
    std::lock_guard lock(mu);
    end = true;
  }
};

// A plain listener whose every response is |body|, streamed.
struct StreamServer {
  std::shared_ptr<ScriptedBody> body = std::make_shared<ScriptedBody>();
  std::unique_ptr<Listener> listener;
  StreamServer() {
    ListenerOptions o;
    o.address = "127.0.0.1";
    listener = std::make_unique<Listener>(o, [b = body](const HttpRequest&) {
      HttpResponse r;
      r.content_type = "text/plain";
      r.stream = b;
      return r;
    }, nullptr);
    Status s = listener->Start();
    EXPECT_TRUE(s.ok()) << s.message();
  }
};

TEST(ListenerStream, PiecesArriveAsTheyAreProducedThenTheLastChunk) {
  StreamServer server;
  auto& body = server.body;
  Listener& listener = *server.listener;
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), listener.port()));
  asio::write(socket, asio::buffer(std::string("GET /logs HTTP/1.1\r\nHost: x\r\n\r\n")));
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  http::read_header(socket, buffer, parser);
  EXPECT_EQ(parser.get().result_int(), 200u);
  EXPECT_TRUE(parser.get().chunked());
  char chunk[256];
  auto read_piece = [&] {
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof(chunk);
    boost::system::error_code ec;
    http::read_some(socket, buffer, parser, ec);
    return std::string(chunk, sizeof(chunk) - parser.get().body().size);
  };
  body->Push("line 1\n");
  std::string got;
  while (got.empty()) got = read_piece();
  EXPECT_EQ(got, "line 1\n");  // delivered before anything else is produced
  body->Push("line 2\n");
  got.clear();
  while (got.empty()) got = read_piece();
  EXPECT_EQ(got, "line 2\n");
  body->End();
  while (!parser.is_done()) read_piece();
  // Released once sent; the server does that after the last chunk is on the
  // wire, so the client may see the end first.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!body->cancelled && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_TRUE(body->cancelled);
}

TEST(ListenerStream, AClientThatLeavesCancelsTheProducer) {
  StreamServer server;
  auto& body = server.body;
  Listener& listener = *server.listener;
  {
    RawClient c(listener.port());
    c.Write("GET /logs HTTP/1.1\r\nHost: x\r\n\r\n");
    std::this_thread::sleep_for(50ms);
  }  // closed
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!body->cancelled && std::chrono::steady_clock::now() < deadline) {
    body->Push(std::string(64 * 1024, 'x'));  // writes fail once the peer is gone
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(body->cancelled);
}

}  // namespace
}  // namespace keyward
