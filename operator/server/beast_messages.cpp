#include "server/beast_messages.h"

#include <openssl/crypto.h>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>

namespace keyward {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;
using Request = BeastRequest;
using Response = BeastResponse;

HttpRequest ViewOf(const Request& req, bool tls) {
  HttpRequest r;
  r.method = std::string_view(req.method_string().data(), req.method_string().size());
  std::string_view target(req.target().data(), req.target().size());
  auto q = target.find('?');
  r.path = target.substr(0, q);
  if (q != std::string_view::npos) r.query = target.substr(q + 1);
  r.headers.reserve(16);
  for (const auto& field : req) {
    r.headers.emplace_back(std::string_view(field.name_string().data(), field.name_string().size()),
                           std::string_view(field.value().data(), field.value().size()));
  }
  r.body = req.body();
  r.tls = tls;
  return r;
}

Response ToBeast(HttpResponse&& in, unsigned version, bool keep_alive) {
  Response res{static_cast<http::status>(in.status), version};
  res.set(http::field::server, "keyward");
  res.set(http::field::content_type, in.content_type);
  SetHeaders(in.headers, res);
  res.body() = std::move(in.body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

int StatusForReadError(const error_code& ec) {
  if (ec == http::error::body_limit) return 413;
  if (ec == http::error::header_limit) return 431;
  if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
      ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
      ec == asio::ssl::error::stream_truncated || ec == http::error::partial_message) {
    return 0;
  }
  if (ec.category() == error_code(http::error::bad_target).category()) return 400;  // malformed HTTP
  return 0;
}

void WipeCredentials(Request& req) {
  OPENSSL_cleanse(req.body().data(), req.body().size());
  for (auto& field : req) {
    if (field.name() == http::field::authorization || field.name() == http::field::proxy_authorization) {
      beast::string_view v = field.value();
      OPENSSL_cleanse(const_cast<char*>(v.data()), v.size());
    }
  }
}

}  // namespace keyward
