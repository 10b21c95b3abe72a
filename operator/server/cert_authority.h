// A small certificate authority for keyward's own serving certificates (the
// webhooks' TLS without cert-manager): PEM in, PEM out. Pure functions.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "base/time_format.h"

namespace keyward {

// A certificate and its private key, PEM. The key is wiped on destruction.
struct PemPair {
  std::string cert;
  std::string key;
  PemPair() = default;
  PemPair(std::string c, std::string k) : cert(std::move(c)), key(std::move(k)) {}
  PemPair(const PemPair&) = default;
  PemPair& operator=(const PemPair&) = default;
  ~PemPair();
};

// A self-signed CA (ECDSA P-256, basicConstraints CA:TRUE, keyCertSign),
// valid from |now| - 1 h (clock skew) for |validity|.
Result<PemPair> MakeCa(const std::string& common_name, Clock::duration validity, TimePoint now);

// A serving certificate for |dns_names| (the first is the subject's CN; an
// IPv4 or IPv6 address becomes an IP subject alternative name),
// signed by |ca|, valid from |now| - 1 h for |validity| (never past the CA).
// |client_auth|: usable as a TLS client certificate too (replicas' mutual TLS).
Result<PemPair> IssueServing(const PemPair& ca, const std::vector<std::string>& dns_names,
                             Clock::duration validity, TimePoint now, bool client_auth = false);

struct CertValidity {
  TimePoint not_before;
  TimePoint not_after;
};
// The validity of the first certificate in |pem|.
Result<CertValidity> ValidityOf(const std::string& pem);

// Due for renewal: less than a third of |lifetime| (the validity it was
// issued with; notBefore is backdated for clock skew) is left, as
// cert-manager renews at two thirds; or it is not valid at all.
bool RenewalDue(const CertValidity& v, Clock::duration lifetime, TimePoint now);

// Whether |cert_pem| was signed by the (first) certificate in |ca_pem|.
bool SignedBy(const std::string& cert_pem, const std::string& ca_pem);

}  // namespace keyward
