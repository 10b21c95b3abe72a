// The webhooks' own TLS: a CA kept in a Secret, a serving certificate per
// replica issued from it and written for TlsFiles, renewals before expiry,
// and the caBundle of the webhook configurations (leader only).
#include "server/ca_keeper.h"

#include <gtest/gtest.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/base64.h"
#include "kube/fake_kube_client.h"
#include "server/tls_files.h"

namespace keyward {
namespace {

using web::json::value;
using namespace std::chrono_literals;

const TimePoint kNow = *ParseRfc3339("2026-12-01T00:00:00Z");
const ResourcePath kCaSecret{"v1", "secrets", "keyward", "keyward-webhook-ca", ""};
const ResourcePath kValidating{"admissionregistration.k8s.io/v1", "validatingwebhookconfigurations", "",
                               "keyward", ""};

std::string Read(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The certificate verifies against |ca_pem| for |host| (as a client would).
bool VerifiesFor(const std::string& cert_pem, const std::string& ca_pem, const std::string& host,
                 TimePoint at) {
  BIO* cb = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
  X509* cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
  BIO* ab = BIO_new_mem_buf(ca_pem.data(), static_cast<int>(ca_pem.size()));
  X509_STORE* store = X509_STORE_new();
  while (X509* ca = PEM_read_bio_X509(ab, nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store, ca);
    X509_free(ca);
  }
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, cert, nullptr);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx);
  X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
  X509_VERIFY_PARAM_set_time(param, Clock::to_time_t(at));
  X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
  bool ok = cert && X509_verify_cert(ctx) == 1;
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  X509_free(cert);
  BIO_free(cb);
  BIO_free(ab);
  return ok;
}

value WebhookConfiguration() {
  value hook;
  hook["name"] = value::string("validate.apikeys.keyward.io");
  hook["clientConfig"]["service"]["name"] = value::string("keyward");
  value c;
  c["apiVersion"] = value::string("admissionregistration.k8s.io/v1");
  c["kind"] = value::string("ValidatingWebhookConfiguration");
  c["metadata"]["name"] = value::string("keyward");
  c["webhooks"] = value::array({hook, hook});
  c["webhooks"][1]["name"] = value::string("validate-2.apikeys.keyward.io");
  return c;
}

struct Replica {
  std::filesystem::path dir;
  bool leader = true;
  std::unique_ptr<CaKeeper> keeper;
  Replica(FakeKubeClient& kube, const std::string& name, Clock::duration validity = 24h) {
    dir = std::filesystem::temp_directory_path() / ("ca-keeper-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    CaKeeperConfig c;
    c.namespace_name = "keyward";
    c.ca_secret = "keyward-webhook-ca";
    c.dns_names = {"keyward.keyward.svc", "keyward.keyward.svc.cluster.local"};
    c.cert_file = (dir / "tls.crt").string();
    c.key_file = (dir / "tls.key").string();
    c.serving_validity = validity;
    c.validating_webhooks = {"keyward"};
    keeper = std::make_unique<CaKeeper>(kube, c, [this] { return leader; });
  }
  ~Replica() { std::filesystem::remove_all(dir); }
  std::string Cert() { return Read(dir / "tls.crt"); }
};

TEST(CertAuthority, IssuesACertificateClientsVerifyForTheServiceName) {
  auto ca = MakeCa("test-ca", 24h * 365, kNow);
  ASSERT_TRUE(ca.ok()) << ca.status().message();
  auto leaf = IssueServing(*ca, {"keyward.keyward.svc", "keyward.keyward.svc.cluster.local"}, 24h, kNow);
  ASSERT_TRUE(leaf.ok()) << leaf.status().message();
  EXPECT_TRUE(VerifiesFor(leaf->cert, ca->cert, "keyward.keyward.svc", kNow));
  EXPECT_TRUE(VerifiesFor(leaf->cert, ca->cert, "keyward.keyward.svc.cluster.local", kNow));
  EXPECT_FALSE(VerifiesFor(leaf->cert, ca->cert, "other.keyward.svc", kNow));
  EXPECT_FALSE(VerifiesFor(leaf->cert, ca->cert, "keyward.keyward.svc", kNow + 25h));  // expired
  auto other = MakeCa("other-ca", 24h, kNow);
  EXPECT_FALSE(VerifiesFor(leaf->cert, other->cert, "keyward.keyward.svc", kNow));
  EXPECT_TRUE(SignedBy(leaf->cert, ca->cert));
  EXPECT_FALSE(SignedBy(leaf->cert, other->cert));
  // Never valid past its CA.
  auto short_ca = MakeCa("short", 2h, kNow);
  auto capped = IssueServing(*short_ca, {"a.b.svc"}, 24h, kNow);
  EXPECT_LE(ValidityOf(capped->cert)->not_after, ValidityOf(short_ca->cert)->not_after);
}

TEST(CertAuthority, RenewalIsDueAfterTwoThirdsOfTheLifetime) {
  CertValidity v{kNow - 1h, kNow + 30h};  // issued at kNow for 30 h, backdated an hour
  EXPECT_FALSE(RenewalDue(v, 30h, kNow + 19h));
  EXPECT_TRUE(RenewalDue(v, 30h, kNow + 20h + 1s));
  EXPECT_TRUE(RenewalDue(v, 30h, kNow - 2h));   // not yet valid
  EXPECT_TRUE(RenewalDue(v, 30h, kNow + 31h));  // expired
  // An address becomes an IP name a client can verify.
  auto ca = MakeCa("ip-ca", 24h, kNow);
  auto leaf = IssueServing(*ca, {"127.0.0.1"}, 1h, kNow);
  ASSERT_TRUE(leaf.ok());
  BIO* bio = BIO_new_mem_buf(leaf->cert.data(), static_cast<int>(leaf->cert.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  EXPECT_EQ(X509_check_ip_asc(cert, "127.0.0.1", 0), 1);
  X509_free(cert);
  BIO_free(bio);
  EXPECT_FALSE(ValidityOf("not a certificate").ok());
}

TEST(CaKeeper, FirstReplicaMakesTheCaEveryReplicaServesFromItLeaderKeepsCaBundle) {
  FakeKubeClient kube;
  kube.Put(kValidating, WebhookConfiguration());
  Replica leader(kube, "leader"), follower(kube, "follower");
  follower.leader = false;
  ASSERT_TRUE(follower.keeper->Sync(kNow).ok());  // a follower may make the CA if none exists
  ASSERT_TRUE(leader.keeper->Sync(kNow).ok());
  EXPECT_EQ(kube.CountCalls("create"), 1);
  const std::string bundle = *Base64Decode(kube.Object(kCaSecret).at("data").at("ca.crt").as_string());
  EXPECT_TRUE(VerifiesFor(leader.Cert(), bundle, "keyward.keyward.svc", kNow));
  EXPECT_TRUE(VerifiesFor(follower.Cert(), bundle, "keyward.keyward.svc", kNow));
  EXPECT_NE(leader.Cert(), follower.Cert());  // a key per replica
  EXPECT_EQ(std::filesystem::status(leader.dir / "tls.key").permissions() & std::filesystem::perms::others_read,
            std::filesystem::perms::none);
  const value configuration = kube.Object(kValidating);
  for (const value& hook : configuration.at("webhooks").as_array()) {
    EXPECT_EQ(*Base64Decode(hook.at("clientConfig").at("caBundle").as_string()), bundle);
  }
  // Nothing changes on the next pass: no write, no new certificate.
  int updates = kube.CountCalls("update"), issued = leader.keeper->issued();
  ASSERT_TRUE(leader.keeper->Sync(kNow + 1h).ok());
  EXPECT_EQ(kube.CountCalls("update"), updates);
  EXPECT_EQ(leader.keeper->issued(), issued);
}

TEST(CaKeeper, ServingCertificatesAreRenewedBeforeTheyExpireAndTlsFilesReloadsThem) {
  FakeKubeClient kube;
  Replica r(kube, "renew", 3h);
  const auto now = Clock::now();  // TlsFiles checks the real time
  ASSERT_TRUE(r.keeper->Sync(now).ok());
  TlsFiles tls((r.dir / "tls.crt").string(), (r.dir / "tls.key").string());
  ASSERT_TRUE(tls.Load().ok());
  const std::string first = r.Cert();
  ASSERT_TRUE(r.keeper->Sync(now + 1h).ok());
  EXPECT_EQ(r.Cert(), first);  // a third of its 3 h gone
  ASSERT_TRUE(r.keeper->Sync(now + 2h + 1s).ok());
  EXPECT_NE(r.Cert(), first);
  EXPECT_EQ(r.keeper->issued(), 2);
  EXPECT_TRUE(LoadServerContext((r.dir / "tls.crt").string(), (r.dir / "tls.key").string()).ok());
}

TEST(CaKeeper, TheLeaderRenewsTheCaAndKeepsTheOldOneInTheBundleUntilItExpires) {
  FakeKubeClient kube;
  kube.Put(kValidating, WebhookConfiguration());
  Replica leader(kube, "ca-renew"), follower(kube, "ca-renew-f");
  follower.leader = false;
  ASSERT_TRUE(leader.keeper->Sync(kNow).ok());
  ASSERT_TRUE(follower.keeper->Sync(kNow).ok());
  const std::string old_ca = *Base64Decode(kube.Object(kCaSecret).at("data").at("tls.crt").as_string());
  const std::string old_serving = follower.Cert();
  // Followers never renew the CA, however old.
  const TimePoint late = kNow + 24h * 250;
  ASSERT_TRUE(follower.keeper->Sync(late).ok());
  EXPECT_EQ(*Base64Decode(kube.Object(kCaSecret).at("data").at("tls.crt").as_string()), old_ca);
  ASSERT_TRUE(leader.keeper->Sync(late).ok());
  const value secret = kube.Object(kCaSecret);
  const std::string new_ca = *Base64Decode(secret.at("data").at("tls.crt").as_string());
  const std::string bundle = *Base64Decode(secret.at("data").at("ca.crt").as_string());
  EXPECT_NE(new_ca, old_ca);
  EXPECT_NE(bundle.find(new_ca), std::string::npos);
  EXPECT_NE(bundle.find(old_ca), std::string::npos);
  // A follower's certificate from the old CA still verifies against the
  // new bundle, and the follower moves to the new CA on its next pass.
  EXPECT_TRUE(VerifiesFor(old_serving, bundle, "keyward.keyward.svc", kNow + 1h));
  ASSERT_TRUE(follower.keeper->Sync(late).ok());
  EXPECT_TRUE(SignedBy(follower.Cert(), new_ca));
  EXPECT_EQ(*Base64Decode(kube.Object(kValidating).at("webhooks").at(0).at("clientConfig").at("caBundle").as_string()),
            bundle);
}

TEST(CaKeeper, TheLeaderServesFromARenewedCaOnlyOnceCaBundleHasIt) {
  FakeKubeClient kube;
  kube.Put(kValidating, WebhookConfiguration());
  Replica leader(kube, "ca-order");
  ASSERT_TRUE(leader.keeper->Sync(kNow).ok());
  const std::string old_ca = *Base64Decode(kube.Object(kCaSecret).at("data").at("tls.crt").as_string());
  const TimePoint late = kNow + 24h * 250;
  // The renewed CA Secret is written; then caBundle cannot be.
  kube.FailNext("update", {200, "", ""});
  kube.FailNext("update", {500, "InternalError", "etcd timeout"});
  EXPECT_FALSE(leader.keeper->Sync(late).ok());
  const std::string new_ca = *Base64Decode(kube.Object(kCaSecret).at("data").at("tls.crt").as_string());
  ASSERT_NE(new_ca, old_ca);
  EXPECT_TRUE(SignedBy(leader.Cert(), old_ca)) << "served from a CA the API server does not trust yet";
  ASSERT_TRUE(leader.keeper->Sync(late).ok());
  EXPECT_TRUE(SignedBy(leader.Cert(), new_ca));
}

TEST(CaKeeper, ABrokenCaSecretIsAnErrorThatSaysWhatToDoAndLeaksNoKey) {
  FakeKubeClient kube;
  value broken;
  broken["metadata"]["name"] = value::string("keyward-webhook-ca");
  broken["data"]["tls.crt"] = value::string(Base64Encode("garbage"));
  broken["data"]["tls.key"] = value::string(Base64Encode("-----BEGIN PRIVATE KEY-----secret"));
  kube.Put(kCaSecret, broken);
  Replica r(kube, "broken");
  Status s = r.keeper->Sync(kNow);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("delete it"), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find("secret"), std::string::npos);
}

}  // namespace
}  // namespace keyward
