// The HTTPS pod log reader against servers on 127.0.0.1 made here: one that
// answers, one that refuses, and two that accept and never answer.
#include "kube/pod_log_reader.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

namespace keyward {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using namespace std::chrono_literals;

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/keyward-podlog-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

// What the server on 127.0.0.1 does with each connection.
enum class Behaviour {
  kSilentTcp,  // accepts, then never sends a byte (not even its TLS hello)
  kSilentTls,  // completes the TLS handshake, reads the request, never answers
  kAnswers,    // answers the request with |reply|
};

class TestServer {
 public:
  TestServer(Behaviour behaviour, std::string reply = "") : behaviour_(behaviour), reply_(std::move(reply)) {
    std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1"
                      " -subj /CN=127.0.0.1 -keyout " + (dir_.path / "tls.key").string() +
                      " -out " + (dir_.path / "tls.crt").string() + " >/dev/null 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    ssl_.use_certificate_chain_file((dir_.path / "tls.crt").string());
    ssl_.use_private_key_file((dir_.path / "tls.key").string(), asio::ssl::context::pem);
    acceptor_.open(tcp::v4());
    acceptor_.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    Accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TestServer() {
    io_.stop();
    thread_.join();
  }
  std::string server() const { return "https://127.0.0.1:" + std::to_string(port_); }

 private:
  struct Conn {
    asio::ssl::stream<tcp::socket> stream;
    asio::streambuf request;
    Conn(tcp::socket s, asio::ssl::context& ctx) : stream(std::move(s), ctx) {}
  };

  void Accept() {
    acceptor_.async_accept([this](error_code ec, tcp::socket socket) {
      if (ec) return;
      auto conn = std::make_shared<Conn>(std::move(socket), ssl_);
      held_.push_back(conn);  // never closed before the server ends
      if (behaviour_ != Behaviour::kSilentTcp) Serve(conn);
      Accept();
    });
  }

  void Serve(std::shared_ptr<Conn> conn) {
    conn->stream.async_handshake(asio::ssl::stream_base::server, [this, conn](error_code ec) {
      if (ec) return;
      asio::async_read_until(conn->stream, conn->request, "\r\n\r\n", [this, conn](error_code ec, std::size_t) {
        if (ec || behaviour_ != Behaviour::kAnswers) return;
        asio::async_write(conn->stream, asio::buffer(reply_), [conn](error_code, std::size_t) {});
      });
    });
  }

  const Behaviour behaviour_;
  const std::string reply_;
  TempDir dir_;
  asio::io_context io_;
  asio::ssl::context ssl_{asio::ssl::context::tls_server};
  tcp::acceptor acceptor_{io_};
  std::uint16_t port_ = 0;
  std::vector<std::shared_ptr<Conn>> held_;  // the io thread's only
  std::thread thread_;
};

PodLogRequest AppLog() {
  PodLogRequest r;
  r.namespace_name = "prod";
  r.pod = "web-1";
  r.container = "app";
  r.follow = true;
  return r;
}

std::unique_ptr<PodLogReader> ReaderFor(const TestServer& server, std::chrono::milliseconds open_timeout) {
  KubeConfig config;
  config.server = server.server();
  config.insecure_skip_tls_verify = true;  // a certificate made for this test
  PodLogReaderOptions options;
  options.open_timeout = open_timeout;
  return MakeHttpsPodLogReader(config, options);
}

// How long Open took, and what it gave.
std::pair<PodLogOpen, std::chrono::milliseconds> TimedOpen(PodLogReader& reader) {
  auto start = std::chrono::steady_clock::now();
  PodLogOpen opened = reader.Open(AppLog());
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  return {opened, took};
}

TEST(PodLogReader, TheDefaultOpenDeadlineIsTenSeconds) {
  EXPECT_EQ(PodLogReaderOptions{}.open_timeout, 10s);
}

TEST(PodLogReader, OpenFailsAtItsDeadlineWhenTheServerNeverSaysHello) {
  TestServer server(Behaviour::kSilentTcp);
  auto reader = ReaderFor(server, 300ms);
  auto [opened, took] = TimedOpen(*reader);
  EXPECT_EQ(opened.code, 0);
  EXPECT_EQ(opened.message, "the API server did not answer within 300 ms");
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 1500ms);
  std::cout << "silent TCP server: Open failed after " << took.count() << " ms\n";
}

TEST(PodLogReader, OpenFailsAtItsDeadlineWhenTheRequestIsNeverAnswered) {
  TestServer server(Behaviour::kSilentTls);
  auto reader = ReaderFor(server, 300ms);
  auto [opened, took] = TimedOpen(*reader);
  EXPECT_EQ(opened.code, 0);
  EXPECT_EQ(opened.message, "the API server did not answer within 300 ms");
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 1500ms);
  std::cout << "silent TLS server: Open failed after " << took.count() << " ms\n";
}

TEST(PodLogReader, AnAnsweredOpenStreamsTheLog) {
  TestServer server(Behaviour::kAnswers,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "6\r\nhello\n\r\n0\r\n\r\n");
  auto reader = ReaderFor(server, 5000ms);
  auto [opened, took] = TimedOpen(*reader);
  ASSERT_EQ(opened.code, 200) << opened.message;
  std::string log;
  PodLogReader::Read r = PodLogReader::Read::kTimeout;
  for (int i = 0; i < 50 && r != PodLogReader::Read::kEnd && r != PodLogReader::Read::kError; ++i) {
    r = reader->ReadSome(&log, 100ms);
  }
  EXPECT_EQ(r, PodLogReader::Read::kEnd);
  EXPECT_EQ(log, "hello\n");
}

TEST(PodLogReader, ARefusalGivesTheApiServersMessage) {
  const std::string status = R"({"kind":"Status","message":"pods \"web-1\" not found","code":404})";
  TestServer server(Behaviour::kAnswers, "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
                                         "Content-Length: " + std::to_string(status.size()) + "\r\n\r\n" + status);
  auto reader = ReaderFor(server, 5000ms);
  auto [opened, took] = TimedOpen(*reader);
  EXPECT_EQ(opened.code, 404);
  EXPECT_EQ(opened.message, "pods \"web-1\" not found");
}

}  // namespace
}  // namespace keyward
