#include "replicas/peer_transport.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <fstream>
#include <optional>
#include <sstream>

namespace keyward {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool SplitAddress(const std::string& address, std::string* host, std::string* port) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) return false;
  *host = address.substr(0, colon);
  *port = address.substr(colon + 1);
  if (host->size() > 2 && host->front() == '[' && host->back() == ']') *host = host->substr(1, host->size() - 2);
  return true;
}

class TlsPeerTransport : public PeerTransport {
 public:
  TlsPeerTransport(PeerTlsFiles files, std::chrono::milliseconds timeout)
      : files_(std::move(files)), timeout_(timeout) {}

  PeerReply Post(const std::string& address, const std::string& path,
                 const std::string& body) override {
    const bool reused = stream_ && address == address_;
    PeerReply reply = Attempt(address, path, body);
    // A kept connection the leader closed meanwhile: once more, afresh.
    if (reply.code == 0 && reused) reply = Attempt(address, path, body);
    return reply;
  }

 private:
  // Runs the queued asynchronous step until it completes or times out.
  error_code Run(error_code* result) {
    io_.restart();
    io_.run();
    return *result;
  }

  error_code Connect(const std::string& address) {
    stream_.reset();
    address_.clear();
    std::string host, port;
    if (!SplitAddress(address, &host, &port)) return asio::error::invalid_argument;
    ssl_.emplace(asio::ssl::context::tls_client);
    error_code ec;
    const std::string cert = ReadFile(files_.cert_file), key = ReadFile(files_.key_file);
    const std::string ca = ReadFile(files_.ca_file);
    ssl_->set_verify_mode(asio::ssl::verify_peer);
    ssl_->add_certificate_authority(asio::buffer(ca), ec);
    if (!ec) ssl_->use_certificate_chain(asio::buffer(cert), ec);
    if (!ec) ssl_->use_private_key(asio::buffer(key), asio::ssl::context::pem, ec);
    if (ec) return ec;
    stream_.emplace(io_, *ssl_);
    tcp::resolver resolver(io_);
    auto endpoints = resolver.resolve(host, port, ec);
    if (ec) return ec;
    error_code result;
    beast::get_lowest_layer(*stream_).expires_after(timeout_);
    beast::get_lowest_layer(*stream_).async_connect(endpoints, [&](error_code e, const tcp::endpoint&) { result = e; });
    if ((ec = Run(&result))) return ec;
    beast::get_lowest_layer(*stream_).expires_after(timeout_);
    stream_->async_handshake(asio::ssl::stream_base::client, [&](error_code e) { result = e; });
    if ((ec = Run(&result))) return ec;
    address_ = address;
    return ec;
  }

  PeerReply Attempt(const std::string& address, const std::string& path, const std::string& body) {
    PeerReply reply;
    error_code ec;
    if (!stream_ || address != address_) ec = Connect(address);
    if (!ec) {
      http::request<http::string_body> req{http::verb::post, path, 11};
      req.set(http::field::host, address);
      req.set(http::field::user_agent, "keyward/peer");
      req.set(http::field::content_type, "application/json");
      req.keep_alive(true);
      req.body() = body;
      req.prepare_payload();
      error_code result;
      beast::get_lowest_layer(*stream_).expires_after(timeout_);
      http::async_write(*stream_, req, [&](error_code e, std::size_t) { result = e; });
      if (!(ec = Run(&result))) {
        http::response_parser<http::string_body> parser;
        parser.body_limit(256u << 20);
        beast::get_lowest_layer(*stream_).expires_after(timeout_);
        http::async_read(*stream_, buffer_, parser, [&](error_code e, std::size_t) { result = e; });
        if (!(ec = Run(&result))) {
          reply.code = static_cast<int>(parser.get().result_int());
          reply.body = std::move(parser.get().body());
          if (!parser.get().keep_alive()) stream_.reset();
          return reply;
        }
      }
    }
    stream_.reset();
    address_.clear();
    buffer_.consume(buffer_.size());
    reply.error = ec == beast::error::timeout ? "timed out after " + std::to_string(timeout_.count()) + " ms"
                                               : ec.message();
    return reply;
  }

  const PeerTlsFiles files_;
  const std::chrono::milliseconds timeout_;
  asio::io_context io_;
  std::optional<asio::ssl::context> ssl_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> stream_;
  beast::flat_buffer buffer_;
  std::string address_;
};

}  // namespace

std::unique_ptr<PeerTransport> MakeTlsPeerTransport(PeerTlsFiles files,
                                                    std::chrono::milliseconds timeout) {
  return std::make_unique<TlsPeerTransport>(std::move(files), timeout);
}

}  // namespace keyward
