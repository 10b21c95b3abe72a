// How a CLI command reaches a running keyward's HTTPS port (/v1/check,
// /v1/reveal): a URL given with --url, or the leader's pod found via its Lease.
#pragma once
#include <boost/program_options.hpp>

#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "kube/kube_client.h"

namespace keyward {

struct EndpointFlags {
  std::string url;          // --url https://HOST:PORT ("" = find the leader)
  std::string server_name;  // --server-name: the name its certificate must carry
  std::string ca_file;      // --ca-file ("" = the CA Secret's ca.crt, else the system roots)
  std::string operator_namespace = "keyward-system";
  std::string lease_name = "keyward-leader";
  std::string service = "keyward";
  std::string ca_secret = "keyward-webhook-ca";
  int port = 9443;
};

// --url, --server-name, --ca-file, --operator-namespace, --lease-name,
// --service, --ca-secret and --port.
void AddEndpointFlags(boost::program_options::options_description* desc, EndpointFlags* flags);

struct KeywardEndpoint {
  std::string url;          // https://10.0.0.5:9443
  std::string server_name;  // checked in the certificate; "" = the URL's host
  std::string ca_pem;       // "" = the system's roots
  std::string found_by;     // how it was found, for messages
};

// With --url: that URL. Without: the pod that holds the Lease (its
// holderIdentity is "<pod>_<pid>"), at its pod IP and --port, checked as
// "<service>.<operator-namespace>.svc". The CA: --ca-file, else ca.crt of
// the CA Secret read with |kube| (null: no cluster access), else the
// system's roots. Errors say which permission or flag is missing.
Result<KeywardEndpoint> FindKeyward(KubeClient* kube, const EndpointFlags& flags);

struct EndpointAnswer {
  int code = 0;
  std::string body;  // may hold a key (reveal): the caller prints and cleanses it
};

// One HTTPS request (TLS verified, 20 s timeout). Neither headers nor body
// appear in an error.
Result<EndpointAnswer> CallKeyward(const KeywardEndpoint& at, const std::string& method,
                                   const std::string& path,
                                   const std::vector<std::pair<std::string, std::string>>& headers,
                                   const std::string& body);

// The "message" of a JSON error answer, else the first 200 bytes of it.
std::string AnswerMessage(const EndpointAnswer& answer);

}  // namespace keyward
