#include "kube/http_kube_client.h"

#include <openssl/ssl.h>

#include <boost/asio/ssl.hpp>
#include <cctype>
#include <cpprest/uri.h>
#include <fstream>
#include <sstream>

namespace keyward {

using web::json::value;
namespace http = web::http;

namespace {

constexpr auto kWatchIdleSlack = std::chrono::seconds(30);

std::string FieldString(const value& v, const char* name) {
  return v.is_object() && v.has_field(name) && v.at(name).is_string() ? v.at(name).as_string() : "";
}

// Ties a watch request to the caller's token and aborts it on scope exit:
// cancelling closes the socket, so a blocked body read returns at once and
// a watch the handler left early stops streaming into cpprestsdk's buffer.
class RequestAbort {
 public:
  explicit RequestAbort(pplx::cancellation_token outer) : outer_(std::move(outer)) {
    if (outer_.is_cancelable()) {
      registration_ = outer_.register_callback([source = source_] { source.cancel(); });
    }
  }
  ~RequestAbort() {
    if (outer_.is_cancelable()) outer_.deregister_callback(registration_);
    source_.cancel();
  }
  RequestAbort(const RequestAbort&) = delete;
  RequestAbort& operator=(const RequestAbort&) = delete;
  pplx::cancellation_token token() const { return source_.get_token(); }

 private:
  pplx::cancellation_token outer_;
  pplx::cancellation_token_source source_;
  pplx::cancellation_token_registration registration_;
};

}  // namespace

std::string QueryString(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    out += out.empty() ? "?" : "&";
    out += k + "=" + web::uri::encode_data_string(v);
  }
  return out;
}

std::string ListUrl(const ResourcePath& path, const ListOptions& o) {
  std::vector<std::pair<std::string, std::string>> q;
  if (o.limit > 0) q.emplace_back("limit", std::to_string(o.limit));
  if (!o.continue_token.empty()) q.emplace_back("continue", o.continue_token);
  if (!o.label_selector.empty()) q.emplace_back("labelSelector", o.label_selector);
  if (!o.field_selector.empty()) q.emplace_back("fieldSelector", o.field_selector);
  if (!o.resource_version.empty()) q.emplace_back("resourceVersion", o.resource_version);
  return path.Url() + QueryString(q);
}

std::string WatchUrl(const ResourcePath& path, const WatchOptions& o) {
  std::vector<std::pair<std::string, std::string>> q{{"watch", "true"}};
  if (!o.resource_version.empty()) q.emplace_back("resourceVersion", o.resource_version);
  if (o.allow_bookmarks) q.emplace_back("allowWatchBookmarks", "true");
  if (o.timeout_seconds > 0) q.emplace_back("timeoutSeconds", std::to_string(o.timeout_seconds));
  if (!o.label_selector.empty()) q.emplace_back("labelSelector", o.label_selector);
  if (!o.field_selector.empty()) q.emplace_back("fieldSelector", o.field_selector);
  return path.Url() + QueryString(q);
}

KubeStatus StatusFromResponse(int http_code, const value& body) {
  KubeStatus s;
  s.code = http_code;
  s.reason = FieldString(body, "reason");
  s.message = FieldString(body, "message");
  if (s.reason.empty()) {
    switch (http_code) {
      case 400: s.reason = "BadRequest"; break;
      case 401: s.reason = "Unauthorized"; break;
      case 403: s.reason = "Forbidden"; break;
      case 404: s.reason = "NotFound"; break;
      case 409: s.reason = "Conflict"; break;
      case 410: s.reason = "Gone"; break;
      case 422: s.reason = "Invalid"; break;
      case 429: s.reason = "TooManyRequests"; break;
      default: if (http_code >= 500) s.reason = "InternalError";
    }
  }
  return s;
}

HttpKubeClient::HttpKubeClient(KubeConfig config, double qps, int burst,
                               std::chrono::seconds timeout)
    : config_(std::move(config)),
      limiter_(qps, burst),
      timeout_(timeout),
      credentials_(MakeCredentialSource(config_)) {}

// The timeout is cpprestsdk's inactivity timer: it restarts on every chunk.
http::client::http_client_config HttpKubeClient::MakeConfig(std::chrono::seconds timeout,
                                                            const Credential& credential) const {
  http::client::http_client_config cfg;
  cfg.set_timeout(timeout);
  cfg.set_validate_certificates(!config_.insecure_skip_tls_verify);
  if (!config_.proxy_url.empty()) cfg.set_proxy(web::web_proxy(web::uri(config_.proxy_url)));
  // cpprestsdk calls this once per new connection, after loading the system
  // roots; a bad PEM throws here and surfaces as a Transport status.
  cfg.set_ssl_context_callback([ca = config_.ca_pem, cert = credential.cert_pem,
                                key = credential.key_pem](boost::asio::ssl::context& ctx) {
    if (!ca.empty()) {
      // Like client-go: a configured CA replaces the system roots.
      SSL_CTX_set_cert_store(ctx.native_handle(), X509_STORE_new());
      ctx.add_certificate_authority(boost::asio::buffer(ca.data(), ca.size()));
    }
    if (!cert.empty()) {
      ctx.use_certificate_chain(boost::asio::buffer(cert.data(), cert.size()));
      ctx.use_private_key(boost::asio::buffer(key.data(), key.size()),
                          boost::asio::ssl::context::pem);
    }
  });
  return cfg;
}

std::shared_ptr<http::client::http_client> HttpKubeClient::ClientFor(const Credential& credential) {
  std::lock_guard lock(client_mu_);
  if (!client_ || client_cert_ != credential.cert_pem) {
    client_ = std::make_shared<http::client::http_client>(config_.server, MakeConfig(timeout_, credential));
    client_cert_ = credential.cert_pem;
  }
  return client_;
}

http::http_request HttpKubeClient::NewRequest(const http::method& method, const std::string& url,
                                              const char* accept, const Credential& credential) {
  http::http_request req(method);
  req.set_request_uri(url);
  req.headers().add("Accept", accept);
  req.headers().add("User-Agent", user_agent_);
  // cpprestsdk checks the server's certificate against (and sends as SNI)
  // the Host header when one is set: that is tls-server-name.
  if (!config_.tls_server_name.empty()) req.headers().add("Host", config_.tls_server_name);
  const std::string& as = impersonate_.empty() ? config_.as_user : impersonate_;
  if (!as.empty()) req.headers().add("Impersonate-User", as);
  if (!as.empty() && !config_.as_group.empty()) req.headers().add("Impersonate-Group", config_.as_group);
  if (!credential.token.empty()) req.headers().add("Authorization", "Bearer " + credential.token);
  return req;
}

KubeTextResult HttpKubeClient::SendText(const http::method& method, const std::string& url,
                                        const value* body, const std::string& content_type,
                                        const std::string& accept) {
  limiter_.Wait();
  if (may_write_ && method != http::methods::GET && !may_write_()) {
    KubeTextResult refused;
    refused.status = {0, "NotLeader", method + " " + url + ": not sent, this replica is not the leader"};
    return refused;
  }
  Credential used;
  KubeTextResult result = SendOnce(method, url, body, content_type, accept, &used);
  // A 401 means nothing was done: with a fresh credential (an exec plugin
  // run again) the request is sent once more.
  if (result.status.code == http::status_codes::Unauthorized && credentials_->Rejected(used)) {
    result = SendOnce(method, url, body, content_type, accept, &used);
  }
  return result;
}

KubeTextResult HttpKubeClient::SendOnce(const http::method& method, const std::string& url,
                                        const value* body, const std::string& content_type,
                                        const std::string& accept, Credential* used) {
  KubeTextResult result;
  Result<Credential> credential = credentials_->Get();
  if (!credential.ok()) {
    result.status = {0, "NoCredential", method + " " + url + ": not sent: " + credential.error()};
    return result;
  }
  *used = *credential;
  try {
    http::http_request req = NewRequest(method, url, accept.c_str(), *credential);
    if (body) req.set_body(body->serialize(), content_type.empty() ? "application/json" : content_type);
    http::http_response resp = ClientFor(*credential)->request(req).get();
    result.body = resp.extract_utf8string(true).get();
    result.status = {resp.status_code(), "", ""};
  } catch (const std::exception& e) {
    // Names the method and URL, never the body (it may hold key material).
    result.status = {0, "Transport", method + " " + url + ": " + e.what()};
  }
  return result;
}

// The body of a failed answer, decoded for its Status (if it is JSON).
static KubeStatus FailedStatus(const KubeTextResult& sent) {
  value json;
  try {
    if (!sent.body.empty()) json = value::parse(sent.body);
  } catch (const web::json::json_exception&) {
    // Not JSON (a proxy's HTML page, say): the HTTP code still counts.
  }
  return StatusFromResponse(sent.status.code, json);
}

KubeResult HttpKubeClient::Send(const http::method& method, const std::string& url,
                                const value* body, const std::string& content_type,
                                const std::string& accept) {
  KubeTextResult sent = SendText(method, url, body, content_type, accept);
  KubeResult result;
  if (sent.status.code == 0) {
    result.status = std::move(sent.status);
  } else if (!sent.status.ok()) {
    result.status = FailedStatus(sent);
  } else {
    result.status = sent.status;
    try {
      if (!sent.body.empty()) result.body = value::parse(sent.body);
    } catch (const web::json::json_exception&) {
      // A 2xx that is not JSON: the code counts, the body stays null.
    }
  }
  return result;
}

KubeResult HttpKubeClient::Get(const ResourcePath& path) {
  return Send(http::methods::GET, path.Url(), nullptr);
}

KubeResult HttpKubeClient::List(const ResourcePath& path, const ListOptions& options) {
  return Send(http::methods::GET, ListUrl(path, options), nullptr, "",
              options.metadata_only ? kAcceptMetadataList : kAcceptJson);
}

KubeTextResult HttpKubeClient::ListText(const ResourcePath& path, const ListOptions& options) {
  KubeTextResult sent = SendText(http::methods::GET, ListUrl(path, options), nullptr, "",
                                 options.metadata_only ? kAcceptMetadataList : kAcceptJson);
  if (sent.status.code != 0 && !sent.status.ok()) {
    sent.status = FailedStatus(sent);
    sent.body.clear();
  }
  return sent;
}

KubeResult HttpKubeClient::Create(const ResourcePath& path, const value& object) {
  ResourcePath collection = path;  // POST goes to the collection; the name is in the object
  collection.name.clear();
  collection.subresource.clear();
  return Send(http::methods::POST, collection.Url(), &object);
}

KubeResult HttpKubeClient::Update(const ResourcePath& path, const value& object) {
  return Send(http::methods::PUT, path.Url(), &object);
}

KubeResult HttpKubeClient::MergePatch(const ResourcePath& path, const value& patch) {
  return Send(http::methods::PATCH, path.Url(), &patch, "application/merge-patch+json");
}

KubeResult HttpKubeClient::Delete(const ResourcePath& path, const DeleteOptions& o) {
  value body;
  body["apiVersion"] = value::string("v1");
  body["kind"] = value::string("DeleteOptions");
  if (!o.propagation_policy.empty()) body["propagationPolicy"] = value::string(o.propagation_policy);
  if (!o.precondition_uid.empty()) body["preconditions"]["uid"] = value::string(o.precondition_uid);
  return Send(http::methods::DEL, path.Url(), &body);
}

KubeStatus HttpKubeClient::Watch(const ResourcePath& path, const WatchOptions& options,
                                 const WatchHandler& handler, pplx::cancellation_token cancel) {
  const std::string url = WatchUrl(path, options);
  limiter_.Wait();
  if (cancel.is_canceled()) return {0, "Transport", "watch " + path.Url() + ": cancelled"};
  RequestAbort abort(cancel);
  // A watch sits idle between events: its own client whose inactivity
  // timeout outlasts the server-side timeoutSeconds (without one, the
  // server ends a watch within an hour).
  const std::chrono::seconds server_timeout(options.timeout_seconds > 0 ? options.timeout_seconds : 3600);
  std::chrono::seconds idle = server_timeout + kWatchIdleSlack;
  if (options.allow_bookmarks) idle = std::min(idle, options.idle_timeout);
  Result<Credential> credential = credentials_->Get();
  if (!credential.ok()) return {0, "NoCredential", "watch " + path.Url() + ": not sent: " + credential.error()};
  http::client::http_client watch_client(config_.server,
                                         MakeConfig(idle, *credential));
  try {
    http::http_response resp =
        watch_client
            .request(NewRequest(http::methods::GET, url,
                                options.metadata_only ? kAcceptMetadata : kAcceptJson, *credential),
                     abort.token())
            .get();
    if (resp.status_code() == http::status_codes::Unauthorized) credentials_->Rejected(*credential);
    if (resp.status_code() != http::status_codes::OK) {
      value json;
      try {
        json = value::parse(resp.extract_utf8string(true).get());
      } catch (const std::exception&) {
      }
      return StatusFromResponse(resp.status_code(), json);
    }
    // cpprestsdk completes the response at the headers and then writes each
    // chunk into a producer/consumer buffer as it arrives: read_line returns
    // as soon as one newline-delimited event is complete.
    concurrency::streams::istream body = resp.body();
    while (!cancel.is_canceled()) {
      concurrency::streams::container_buffer<std::string> line;
      std::size_t n = body.read_line(line).get();
      if (n == 0 && body.is_eof()) break;  // the server ended the watch
      if (line.collection().empty()) continue;
      value event;
      try {
        event = value::parse(line.collection());
      } catch (const web::json::json_exception& e) {
        return {0, "Transport", "watch " + path.Url() + ": undecodable event: " + e.what()};
      }
      if (!handler(FieldString(event, "type"),
                   event.has_field("object") ? event.at("object") : value::null())) {
        break;
      }
    }
    return {http::status_codes::OK, "", ""};
  } catch (const std::exception& e) {  // transport errors (and whatever |handler| throws)
    if (cancel.is_canceled()) return {0, "Transport", "watch " + path.Url() + ": cancelled"};
    return {0, "Transport", "watch " + path.Url() + ": " + e.what()};
  }
}

}  // namespace keyward
