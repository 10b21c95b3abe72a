#include "kube/pod_log_reader.h"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cpprest/json.h>

#include <cstdint>
#include <limits>

#include "kube/http_kube_client.h"

namespace keyward {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

std::string Encode(const std::string& v) { return web::uri::encode_data_string(v); }

// "https://host:port" -> host, port ("443" by default); brackets of an
// IPv6 host are removed.
bool SplitServer(const std::string& server, std::string* host, std::string* port) {
  constexpr std::string_view scheme = "https://";
  if (server.compare(0, scheme.size(), scheme) != 0) return false;
  std::string rest = server.substr(scheme.size());
  rest = rest.substr(0, rest.find('/'));
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string::npos) return false;
    *host = rest.substr(1, close - 1);
    *port = close + 2 <= rest.size() && rest[close + 1] == ':' ? rest.substr(close + 2) : "443";
  } else {
    auto colon = rest.rfind(':');
    *host = rest.substr(0, colon);
    *port = colon == std::string::npos ? "443" : rest.substr(colon + 1);
  }
  return !host->empty() && !port->empty();
}

class HttpsPodLogReader : public PodLogReader {
 public:
  HttpsPodLogReader(const KubeConfig& config, PodLogReaderOptions options)
      : config_(config), options_(options),
        credentials_(options_.credentials ? options_.credentials : MakeCredentialSource(config)),
        ssl_(asio::ssl::context::tls_client) {}

  PodLogOpen Open(const PodLogRequest& request) override {
    std::string host, port;
    if (!SplitServer(config_.server, &host, &port)) {
      return {0, "the API server address " + config_.server + " is not https://host:port"};
    }
    const Deadline deadline = std::chrono::steady_clock::now() + options_.open_timeout;
    error_code ec;
    try {
      Result<Credential> credential = credentials_->Get();
      if (!credential.ok()) return {0, credential.error()};
      credential_ = *credential;
      ConfigureTls(config_.tls_server_name.empty() ? host : config_.tls_server_name);
      ec = Connect(host, port, deadline);
      if (!ec) ec = Step(deadline, [&](auto done) { stream_->async_handshake(asio::ssl::stream_base::client, done); });
      http::request<http::empty_body> req = RequestFor(request, host);
      if (!ec) ec = Step(deadline, [&](auto done) { http::async_write(*stream_, req, done); });
      // A followed log has no end. (Not boost::none: Beast 1.74 compares a
      // Content-Length with the empty optional and refuses every body.)
      parser_.body_limit(std::numeric_limits<std::uint64_t>::max());
      if (!ec) ec = Step(deadline, [&](auto done) { http::async_read_header(*stream_, buffer_, parser_, done); });
    } catch (const std::exception& e) {
      return {0, std::string("the API server: ") + e.what()};
    }
    if (ec == asio::error::timed_out) {
      return {0, "the API server did not answer within " + std::to_string(options_.open_timeout.count()) + " ms"};
    }
    if (ec) return {0, "the API server: " + ec.message()};
    int code = static_cast<int>(parser_.get().result_int());
    if (code == 200) return {200, ""};
    return {code, ErrorMessage(deadline)};
  }

  Read ReadSome(std::string* out, std::chrono::milliseconds wait) override {
    if (parser_.is_done()) return Read::kEnd;
    if (!pending_) {
      parser_.get().body().data = chunk_;
      parser_.get().body().size = sizeof(chunk_);
      pending_ = true;
      http::async_read_some(*stream_, buffer_, parser_, [this](error_code ec, std::size_t) {
        pending_ = false;
        ec_ = ec == http::error::need_buffer ? error_code() : ec;
      });
    }
    io_.restart();
    io_.run_for(wait);
    if (pending_) return Read::kTimeout;
    if (ec_) return ec_ == http::error::end_of_stream ? Read::kEnd : Read::kError;
    std::size_t got = sizeof(chunk_) - parser_.get().body().size;
    out->append(chunk_, got);
    if (got > 0) return Read::kData;
    return parser_.is_done() ? Read::kEnd : Read::kTimeout;
  }

 private:
  using Deadline = std::chrono::steady_clock::time_point;

  // Starts one asynchronous operation (|start| gets its completion
  // handler) and runs it until it completes or |deadline| passes. Past the
  // deadline the connection is closed, which ends the operation aborted,
  // and the answer is timed_out. (A name lookup that the system resolver
  // holds is the one wait this cannot cut short: its thread is waited for.)
  template <class Start>
  error_code Step(Deadline deadline, Start start) {
    bool finished = false;
    error_code result;
    start([&finished, &result](error_code e, auto&&...) {
      result = e;
      finished = true;
    });
    io_.restart();
    while (!finished && io_.run_one_until(deadline) > 0) {
    }
    if (finished) return result;
    error_code ignored;
    if (stream_) beast::get_lowest_layer(*stream_).socket().close(ignored);
    resolver_.cancel();
    io_.restart();
    while (!finished && io_.run_one() > 0) {
    }
    return asio::error::timed_out;
  }

  error_code Connect(const std::string& host, const std::string& port, Deadline deadline) {
    tcp::resolver::results_type endpoints;
    error_code ec = Step(deadline, [&](auto done) {
      resolver_.async_resolve(host, port, [&endpoints, done](error_code e, tcp::resolver::results_type r) mutable {
        endpoints = std::move(r);
        done(e);
      });
    });
    if (ec) return ec;
    return Step(deadline, [&](auto done) { beast::get_lowest_layer(*stream_).async_connect(endpoints, done); });
  }

  http::request<http::empty_body> RequestFor(const PodLogRequest& request, const std::string& host) {
    http::request<http::empty_body> req{http::verb::get, request.Target(), 11};
    req.set(http::field::host, host);
    req.set(http::field::user_agent, "keyward/logs");
    req.set(http::field::accept, "*/*");
    if (!credential_.token.empty()) req.set(http::field::authorization, "Bearer " + credential_.token);
    return req;
  }

  void ConfigureTls(const std::string& host) {
    if (config_.insecure_skip_tls_verify) {
      ssl_.set_verify_mode(asio::ssl::verify_none);
    } else {
      ssl_.set_verify_mode(asio::ssl::verify_peer);
      if (config_.ca_pem.empty()) {
        ssl_.set_default_verify_paths();
      } else {
        ssl_.add_certificate_authority(asio::buffer(config_.ca_pem.data(), config_.ca_pem.size()));
      }
    }
    if (!credential_.cert_pem.empty()) {
      ssl_.use_certificate_chain(asio::buffer(credential_.cert_pem.data(), credential_.cert_pem.size()));
      ssl_.use_private_key(asio::buffer(credential_.key_pem.data(), credential_.key_pem.size()),
                           asio::ssl::context::pem);
    }
    stream_.emplace(io_, ssl_);
    if (!config_.insecure_skip_tls_verify) {
      stream_->set_verify_callback(asio::ssl::host_name_verification(host));
    }
    SSL_set_tlsext_host_name(stream_->native_handle(), host.c_str());
  }

  // The API server's Status message for a refused log read (read in full:
  // it is small and the connection ends after it).
  std::string ErrorMessage(Deadline deadline) {
    std::string body;
    try {
      while (!parser_.is_done() && body.size() < 64 * 1024) {
        parser_.get().body().data = chunk_;
        parser_.get().body().size = sizeof(chunk_);
        error_code ec = Step(deadline, [&](auto done) { http::async_read_some(*stream_, buffer_, parser_, done); });
        body.append(chunk_, sizeof(chunk_) - parser_.get().body().size);
        if (ec && ec != http::error::need_buffer) break;
      }
      web::json::value status = web::json::value::parse(body);
      if (status.has_string_field("message")) return status.at("message").as_string();
    } catch (const std::exception&) {
    }
    return "HTTP " + std::to_string(parser_.get().result_int());
  }

  KubeConfig config_;
  const PodLogReaderOptions options_;
  const std::shared_ptr<CredentialSource> credentials_;
  Credential credential_;  // the one this stream opened with
  asio::io_context io_{1};
  tcp::resolver resolver_{io_};
  asio::ssl::context ssl_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> stream_;
  beast::flat_buffer buffer_;
  http::response_parser<http::buffer_body> parser_;
  char chunk_[16 * 1024];
  bool pending_ = false;
  error_code ec_;
};

}  // namespace

std::string PodLogRequest::Target() const {
  std::string t = "/api/v1/namespaces/" + Encode(namespace_name) + "/pods/" + Encode(pod) +
                  "/log?container=" + Encode(container);
  if (follow) t += "&follow=true";
  if (since_seconds) t += "&sinceSeconds=" + std::to_string(*since_seconds);
  if (tail_lines) t += "&tailLines=" + std::to_string(*tail_lines);
  if (timestamps) t += "&timestamps=true";
  return t;
}

std::unique_ptr<PodLogReader> MakeHttpsPodLogReader(const KubeConfig& config, PodLogReaderOptions options) {
  return std::make_unique<HttpsPodLogReader>(config, options);
}

}  // namespace keyward
