#include "server/cert_authority.h"

#include <arpa/inet.h>

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <ctime>
#include <memory>
#include <optional>

namespace keyward {
namespace {

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;
using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;

Key NewKey() { return Key(EVP_EC_gen("P-256"), EVP_PKEY_free); }

std::string BioText(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string CertPem(X509* cert) {
  Bio bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509(bio.get(), cert);
  return BioText(bio.get());
}

std::string KeyPem(EVP_PKEY* key) {
  Bio bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  std::string pem = BioText(bio.get());
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  OPENSSL_cleanse(data, static_cast<std::size_t>(n));
  return pem;
}

Cert ReadCert(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  return Cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
}

Key ReadKey(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  return Key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
}

std::time_t Seconds(TimePoint t) { return Clock::to_time_t(t); }

bool AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// A certificate with a random serial, |cn| as subject, valid [from, until].
Cert Skeleton(const std::string& cn, EVP_PKEY* key, TimePoint from, TimePoint until) {
  Cert cert(X509_new(), X509_free);
  unsigned char serial[16];
  if (!cert || RAND_bytes(serial, sizeof(serial)) != 1) return Cert(nullptr, X509_free);
  serial[0] &= 0x7F;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof(serial), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_set_version(cert.get(), 2);
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), Seconds(from));
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), Seconds(until));
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_pubkey(cert.get(), key);
  return cert;
}

std::optional<TimePoint> FromAsn1(const ASN1_TIME* t) {
  struct tm tm {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  return Clock::from_time_t(timegm(&tm));
}

}  // namespace

PemPair::~PemPair() { OPENSSL_cleanse(key.data(), key.size()); }

Result<PemPair> MakeCa(const std::string& common_name, Clock::duration validity, TimePoint now) {
  Key key = NewKey();
  if (!key) return Status::Error("generating the CA key failed");
  Cert cert = Skeleton(common_name, key.get(), now - std::chrono::hours(1), AddSaturating(now, validity));
  if (!cert) return Status::Error("building the CA certificate failed");
  X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
  if (!AddExtension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
      !AddExtension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature") ||
      !AddExtension(cert.get(), cert.get(), NID_subject_key_identifier, "hash") ||
      X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    return Status::Error("signing the CA certificate failed");
  }
  return PemPair(CertPem(cert.get()), KeyPem(key.get()));
}

Result<PemPair> IssueServing(const PemPair& ca, const std::vector<std::string>& dns_names,
                             Clock::duration validity, TimePoint now, bool client_auth) {
  if (dns_names.empty()) return Status::Error("a serving certificate needs at least one DNS name");
  Cert ca_cert = ReadCert(ca.cert);
  Key ca_key = ReadKey(ca.key);
  if (!ca_cert || !ca_key) return Status::Error("the CA's certificate or key is not valid PEM");
  auto ca_validity = FromAsn1(X509_get0_notAfter(ca_cert.get()));
  if (!ca_validity) return Status::Error("the CA certificate has no readable notAfter");
  Key key = NewKey();
  if (!key) return Status::Error("generating a serving key failed");
  TimePoint until = std::min(AddSaturating(now, validity), *ca_validity);
  Cert cert = Skeleton(dns_names.front(), key.get(), now - std::chrono::hours(1), until);
  if (!cert) return Status::Error("building the serving certificate failed");
  X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert.get()));
  std::string san;
  for (const std::string& name : dns_names) {
    unsigned char ip[16];
    const bool is_ip = inet_pton(AF_INET, name.c_str(), ip) == 1 || inet_pton(AF_INET6, name.c_str(), ip) == 1;
    san += (san.empty() ? "" : ",") + std::string(is_ip ? "IP:" : "DNS:") + name;
  }
  if (!AddExtension(cert.get(), ca_cert.get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !AddExtension(cert.get(), ca_cert.get(), NID_key_usage, "critical,digitalSignature") ||
      !AddExtension(cert.get(), ca_cert.get(), NID_ext_key_usage,
                    client_auth ? "serverAuth,clientAuth" : "serverAuth") ||
      !AddExtension(cert.get(), ca_cert.get(), NID_authority_key_identifier, "keyid:always") ||
      !AddExtension(cert.get(), ca_cert.get(), NID_subject_alt_name, san.c_str()) ||
      X509_sign(cert.get(), ca_key.get(), EVP_sha256()) == 0) {
    return Status::Error("signing the serving certificate failed (DNS names: " + san + ")");
  }
  return PemPair(CertPem(cert.get()), KeyPem(key.get()));
}

Result<CertValidity> ValidityOf(const std::string& pem) {
  Cert cert = ReadCert(pem);
  if (!cert) return Status::Error("not a PEM certificate");
  auto from = FromAsn1(X509_get0_notBefore(cert.get()));
  auto until = FromAsn1(X509_get0_notAfter(cert.get()));
  if (!from || !until) return Status::Error("certificate validity unreadable");
  return CertValidity{*from, *until};
}

bool RenewalDue(const CertValidity& v, Clock::duration lifetime, TimePoint now) {
  if (now < v.not_before || now >= v.not_after) return true;
  return v.not_after - now < lifetime / 3;
}

bool SignedBy(const std::string& cert_pem, const std::string& ca_pem) {
  Cert cert = ReadCert(cert_pem), ca = ReadCert(ca_pem);
  if (!cert || !ca) return false;
  Key ca_key(X509_get_pubkey(ca.get()), EVP_PKEY_free);
  return ca_key && X509_verify(cert.get(), ca_key.get()) == 1;
}

}  // namespace keyward
