#include "cmd/keyward_endpoint.h"

#include <cpprest/http_client.h>
#include <openssl/ssl.h>

#include <arpa/inet.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "api/validation.h"
#include "base/base64.h"
#include "keys/key_format.h"
#include "kube/json_fields.h"

namespace keyward {

namespace po = boost::program_options;
namespace http = web::http;

void AddEndpointFlags(po::options_description* desc, EndpointFlags* f) {
  // clang-format off
  desc->add_options()
    ("url", po::value(&f->url),
     "keyward's HTTPS port, e.g. https://127.0.0.1:8443 after kubectl port-forward "
     "(default: the leader's pod, found through its Lease)")
    ("server-name", po::value(&f->server_name),
     "the name keyward's certificate must carry (default: the URL's host; without --url "
     "SERVICE.OPERATOR-NAMESPACE.svc); with port-forward use keyward.keyward-system.svc")
    ("ca-file", po::value(&f->ca_file),
     "PEM bundle that keyward's certificate chains to (default: ca.crt of --ca-secret, "
     "read with your credentials; else the system's roots)")
    ("operator-namespace", po::value(&f->operator_namespace)->default_value(f->operator_namespace),
     "keyward's namespace (the Lease, the Service, the CA Secret)")
    ("lease-name", po::value(&f->lease_name)->default_value(f->lease_name), "keyward's leader Lease")
    ("service", po::value(&f->service)->default_value(f->service), "keyward's HTTPS Service")
    ("ca-secret", po::value(&f->ca_secret)->default_value(f->ca_secret),
     "Secret whose ca.crt keyward's certificate chains to (the chart's tls.caSecretName)")
    ("port", po::value(&f->port)->default_value(f->port), "keyward's HTTPS port on its pod");
  // clang-format on
}

namespace {

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error("cannot read " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// ca.crt of the CA Secret, read as the user; an error says what to do.
Result<std::string> CaFromSecret(KubeClient& kube, const EndpointFlags& f) {
  KubeResult got = kube.Get({"v1", "secrets", f.operator_namespace, f.ca_secret, ""});
  if (!got.status.ok()) {
    return Status::Error("reading the CA from Secret " + f.operator_namespace + "/" + f.ca_secret + ": " +
                         got.status.String() + "; pass --ca-file with keyward's ca.crt instead");
  }
  std::optional<std::string> pem = Base64Decode(JsonStringOr(got.body, {"data", "ca.crt"}));
  if (!pem || pem->empty()) {
    return Status::Error("Secret " + f.operator_namespace + "/" + f.ca_secret + " has no ca.crt; pass --ca-file");
  }
  return *pem;
}

// "keyward-7d9f-abcde_1" -> "keyward-7d9f-abcde": keyward's identity is
// hostname_pid, and a pod's hostname is its name.
std::string PodOfIdentity(const std::string& identity) {
  const auto underscore = identity.rfind('_');
  return underscore == std::string::npos ? identity : identity.substr(0, underscore);
}

// Flags and fields go into a URL and a Host header: no control character,
// space or '/' (which would split the header or reach another path).
bool IsHostText(const std::string& s) {
  return !s.empty() && s.size() <= 253 &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f && c != '/'; });
}

bool IsIp(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

}  // namespace

Result<KeywardEndpoint> FindKeyward(KubeClient* kube, const EndpointFlags& f) {
  KeywardEndpoint at;
  if (!f.server_name.empty() && !IsHostText(f.server_name)) {
    return Status::Error("--server-name must be a host name, without spaces, '/' or control characters");
  }
  if (!IsDns1123Label(f.operator_namespace) || !IsDns1123Subdomain(f.lease_name) || !IsDns1123Label(f.service)) {
    return Status::Error("--operator-namespace, --lease-name and --service must be Kubernetes names");
  }
  if (f.port < 1 || f.port > 65535) return Status::Error("--port must be 1 to 65535");
  if (!f.url.empty()) {
    if (f.url.rfind("https://", 0) != 0 || !IsHostText(f.url.substr(8, f.url.find('/', 8) - 8)) ||
        std::any_of(f.url.begin(), f.url.end(), [](unsigned char c) { return c <= 0x20 || c == 0x7f; })) {
      return Status::Error("--url must be https://HOST[:PORT], without spaces or control characters");
    }
    at.url = f.url;
    while (!at.url.empty() && at.url.back() == '/') at.url.pop_back();
    at.server_name = f.server_name;
    at.found_by = "--url " + at.url;
  } else {
    if (!kube) return Status::Error("no --url, and no cluster to find keyward in");
    KubeResult lease = kube->Get({"coordination.k8s.io/v1", "leases", f.operator_namespace, f.lease_name, ""});
    if (!lease.status.ok()) {
      return Status::Error("finding keyward's leader: Lease " + f.operator_namespace + "/" + f.lease_name +
                           ": " + lease.status.String() +
                           "; pass --url (e.g. after kubectl port-forward -n " + f.operator_namespace +
                           " pod/<leader> 8443:" + std::to_string(f.port) + ")");
    }
    const std::string identity = JsonStringOr(lease.body, {"spec", "holderIdentity"});
    if (identity.empty()) return Status::Error("Lease " + f.operator_namespace + "/" + f.lease_name + " has no holder: is keyward running?");
    const std::string pod = PodOfIdentity(identity);
    // Whoever may write the Lease writes this name: it goes into a URL path.
    if (!IsDns1123Subdomain(pod)) return Status::Error("the Lease's holder \"" + RedactKeys(pod.substr(0, 64)) + "\" is not a pod name");
    KubeResult got = kube->Get({"v1", "pods", f.operator_namespace, pod, ""});
    if (!got.status.ok()) {
      return Status::Error("the leader " + identity + " is not a pod this user can read (" + got.status.String() +
                           "); pass --url (e.g. after kubectl port-forward -n " + f.operator_namespace + " pod/" +
                           pod + " 8443:" + std::to_string(f.port) + ")");
    }
    std::string ip = JsonStringOr(got.body, {"status", "podIP"});
    if (ip.empty()) return Status::Error("the leader's pod " + pod + " has no IP yet");
    if (!IsIp(ip)) return Status::Error("the leader's pod " + pod + " has no IP address in status.podIP");
    if (ip.find(':') != std::string::npos) ip = "[" + ip + "]";
    at.url = "https://" + ip + ":" + std::to_string(f.port);
    at.server_name = f.server_name.empty() ? f.service + "." + f.operator_namespace + ".svc" : f.server_name;
    at.found_by = "the leader's pod " + pod + " (" + at.url + ")";
  }
  if (!f.ca_file.empty()) {
    Result<std::string> pem = ReadFile(f.ca_file);
    if (!pem.ok()) return pem.status();
    if (pem->find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
      return Status::Error("--ca-file " + f.ca_file + " holds no PEM certificate");
    }
    at.ca_pem = *pem;
  } else if (kube) {
    Result<std::string> pem = CaFromSecret(*kube, f);
    if (!pem.ok()) return pem.status();
    at.ca_pem = *pem;
  }
  return at;
}

Result<EndpointAnswer> CallKeyward(const KeywardEndpoint& at, const std::string& method,
                                   const std::string& path,
                                   const std::vector<std::pair<std::string, std::string>>& headers,
                                   const std::string& body) {
  http::client::http_client_config cfg;
  cfg.set_timeout(std::chrono::seconds(20));
  cfg.set_validate_certificates(true);
  cfg.set_ssl_context_callback([ca = at.ca_pem](boost::asio::ssl::context& ctx) {
    if (ca.empty()) return;
    SSL_CTX_set_cert_store(ctx.native_handle(), X509_STORE_new());  // this CA alone
    ctx.add_certificate_authority(boost::asio::buffer(ca.data(), ca.size()));
  });
  EndpointAnswer answer;
  try {
    http::client::http_client client(at.url, cfg);
    http::http_request req(method);
    req.set_request_uri(path);
    // cpprestsdk checks the certificate against (and sends as SNI) the
    // Host header when one is set.
    if (!at.server_name.empty()) req.headers().add("Host", at.server_name);
    for (const auto& [name, value] : headers) req.headers().add(name, value);
    if (!body.empty()) req.set_body(body, "application/json");
    http::http_response resp = client.request(req).get();
    answer.code = resp.status_code();
    answer.body = resp.extract_utf8string(true).get();
  } catch (const std::exception& e) {
    std::string why = e.what();
    if (why.find("SSL") != std::string::npos || why.find("handshake") != std::string::npos) {
      const std::string name = at.server_name.empty() ? web::uri(at.url).host() : at.server_name;
      why += ": keyward's certificate must chain to the CA given (--ca-file, else the CA Secret) and "
             "carry the name " + name + " (--server-name names another)";
    }
    return Status::Error(method + " " + at.url + path + " (" + at.found_by + "): " + why);
  }
  return answer;
}

std::string AnswerMessage(const EndpointAnswer& answer) {
  try {
    web::json::value v = web::json::value::parse(answer.body);
    if (auto m = JsonString(v, {"error"})) return *m;
    if (auto m = JsonString(v, {"message"})) return *m;
  } catch (const web::json::json_exception&) {
  }
  std::string head = answer.body.substr(0, 200);
  for (char& c : head) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return "HTTP " + std::to_string(answer.code) + (head.empty() ? "" : ": " + head);
}

}  // namespace keyward
