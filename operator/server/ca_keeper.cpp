#include "server/ca_keeper.h"

#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <openssl/crypto.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>

#include "base/base64.h"
#include "kube/json_fields.h"

namespace keyward {

using web::json::value;

namespace {

constexpr const char* kAdmissionGroup = "admissionregistration.k8s.io/v1";

std::string DataField(const value& secret, const char* field) {
  auto decoded = Base64Decode(JsonStringOr(secret, {"data", field}));
  return decoded ? *decoded : std::string();
}

value CaSecret(const CaKeeperConfig& c, const PemPair& ca, const std::string& bundle) {
  value s;
  s["apiVersion"] = value::string("v1");
  s["kind"] = value::string("Secret");
  s["type"] = value::string("kubernetes.io/tls");
  s["metadata"]["name"] = value::string(c.ca_secret);
  s["metadata"]["namespace"] = value::string(c.namespace_name);
  s["metadata"]["labels"]["app.kubernetes.io/managed-by"] = value::string("keyward");
  s["data"]["tls.crt"] = value::string(Base64Encode(ca.cert));
  s["data"]["tls.key"] = value::string(Base64Encode(ca.key));
  s["data"]["ca.crt"] = value::string(Base64Encode(bundle));
  return s;
}

// The certificates of |bundle| still valid at |now|, PEM, in order.
std::string StillValid(const std::string& bundle, TimePoint now) {
  static const std::string kEnd = "-----END CERTIFICATE-----";
  std::string kept;
  for (std::size_t at = 0; (at = bundle.find("-----BEGIN CERTIFICATE-----", at)) != std::string::npos;) {
    std::size_t end = bundle.find(kEnd, at);
    if (end == std::string::npos) break;
    std::string one = bundle.substr(at, end + kEnd.size() - at) + "\n";
    auto v = ValidityOf(one);
    if (v.ok() && now < v->not_after) kept += one;
    at = end;
  }
  return kept;
}

}  // namespace

Status WriteFileAtomically(const std::string& path, const std::string& content, unsigned mode) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Status::Error("writing " + tmp + ": cannot create it");
  ::fchmod(fd, mode);
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n <= 0) {
      ::close(fd);
      return Status::Error("writing " + tmp + ": write failed");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0 || std::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::Error("writing " + path + ": could not replace it");
  }
  return Status();
}

CaKeeper::CaKeeper(KubeClient& kube, CaKeeperConfig config, std::function<bool()> is_leader)
    : kube_(kube), config_(std::move(config)), is_leader_(std::move(is_leader)) {}

CaKeeper::~CaKeeper() { Stop(); }

std::string CaKeeper::bundle() const {
  std::lock_guard lock(mu_);
  return bundle_;
}

Result<CaKeeper::Authority> CaKeeper::ReadOrCreateCa(TimePoint now) {
  ResourcePath path{"v1", "secrets", config_.namespace_name, config_.ca_secret, ""};
  for (int attempt = 0; attempt < 3; ++attempt) {
    KubeResult got = kube_.Get(path);
    if (got.status.ok()) {
      Authority a{PemPair(DataField(got.body, "tls.crt"), DataField(got.body, "tls.key")),
                  DataField(got.body, "ca.crt")};
      WipeJsonString(got.body, {"data", "tls.key"});
      auto validity = ValidityOf(a.ca.cert);
      if (!validity.ok() || a.ca.key.empty()) {
        return Status::Error("CA Secret " + config_.namespace_name + "/" + config_.ca_secret +
                             " holds no valid tls.crt/tls.key; delete it and keyward makes a new CA");
      }
      if (a.bundle.empty()) a.bundle = a.ca.cert;
      if (is_leader_() && RenewalDue(*validity, config_.ca_validity, now)) return RenewCa(got.body, a, now);
      return a;
    }
    if (!got.status.NotFound()) return Status::Error("reading CA Secret: " + got.status.String());
    auto ca = MakeCa("keyward-" + config_.purpose + "-ca", config_.ca_validity, now);
    if (!ca.ok()) return ca.status();
    value secret = CaSecret(config_, *ca, ca->cert);
    KubeResult created = kube_.Create(ResourcePath{"v1", "secrets", config_.namespace_name, "", ""}, secret);
    WipeJsonString(secret, {"data", "tls.key"});
    WipeJsonString(created.body, {"data", "tls.key"});
    if (created.status.ok()) {
      spdlog::info("created the {} CA in Secret {}/{}", config_.purpose, config_.namespace_name, config_.ca_secret);
      return Authority{*ca, ca->cert};
    }
    if (!created.status.AlreadyExists()) return Status::Error("creating CA Secret: " + created.status.String());
  }
  return Status::Error("CA Secret " + config_.ca_secret + " kept changing");
}

Result<CaKeeper::Authority> CaKeeper::RenewCa(const value& secret, const Authority& current, TimePoint now) {
  auto ca = MakeCa("keyward-" + config_.purpose + "-ca", config_.ca_validity, now);
  if (!ca.ok()) return ca.status();
  // Clients that still trust only the old CA keep working until it expires.
  Authority next{*ca, ca->cert + StillValid(current.bundle, now)};
  value updated = CaSecret(config_, next.ca, next.bundle);
  updated["metadata"]["resourceVersion"] = secret.at("metadata").at("resourceVersion");
  KubeResult put = kube_.Update(ResourcePath{"v1", "secrets", config_.namespace_name, config_.ca_secret, ""},
                                updated);
  WipeJsonString(updated, {"data", "tls.key"});
  WipeJsonString(put.body, {"data", "tls.key"});
  if (!put.status.ok()) return Status::Error("renewing the CA: " + put.status.String());
  spdlog::info("renewed the {} CA in Secret {}/{}", config_.purpose, config_.namespace_name, config_.ca_secret);
  return next;
}

Status CaKeeper::EnsureServing(const Authority& authority, TimePoint now) {
  {
    std::lock_guard lock(mu_);
    auto v = ValidityOf(serving_.cert);
    if (v.ok() && !RenewalDue(*v, config_.serving_validity, now) && SignedBy(serving_.cert, authority.ca.cert)) {
      return Status();
    }
  }
  auto issued = IssueServing(authority.ca, config_.dns_names, config_.serving_validity, now,
                             config_.client_auth);
  if (!issued.ok()) return issued.status();
  // Key first: a reload between the writes sees a pair that does not match
  // and keeps the old context until the next poll.
  if (Status s = WriteFileAtomically(config_.key_file, issued->key, 0600); !s.ok()) return s;
  if (Status s = WriteFileAtomically(config_.cert_file, issued->cert, 0644); !s.ok()) return s;
  std::lock_guard lock(mu_);
  serving_ = *issued;
  ++issued_;
  spdlog::info("issued a serving certificate for {} from the {} CA", config_.dns_names.front(), config_.purpose);
  return Status();
}

Status CaKeeper::EnsureCaBundle(const std::string& plural, const std::string& name,
                                const std::string& bundle) {
  ResourcePath path{kAdmissionGroup, plural, "", name, ""};
  KubeResult got = kube_.Get(path);
  if (got.status.NotFound()) return Status();  // not installed (yet): nothing to keep
  if (!got.status.ok()) return Status::Error("reading " + plural + "/" + name + ": " + got.status.String());
  const std::string want = Base64Encode(bundle);
  bool changed = false;
  if (got.body.has_field("webhooks")) {
    for (value& hook : got.body["webhooks"].as_array()) {
      if (JsonStringOr(hook, {"clientConfig", "caBundle"}) == want) continue;
      hook["clientConfig"]["caBundle"] = value::string(want);
      changed = true;
    }
  }
  if (!changed) return Status();
  KubeResult put = kube_.Update(path, got.body);
  if (!put.status.ok()) return Status::Error("updating caBundle of " + plural + "/" + name + ": " + put.status.String());
  spdlog::info("caBundle of {}/{} updated", plural, name);
  return Status();
}

Status CaKeeper::Sync(TimePoint now) {
  Result<Authority> authority = ReadOrCreateCa(now);
  if (!authority.ok()) return authority.status();
  {
    std::lock_guard lock(mu_);
    // The bundle file first: a peer verifying the new certificate trusts it.
    if (!config_.ca_file.empty() && bundle_ != authority->bundle) {
      if (Status s = WriteFileAtomically(config_.ca_file, authority->bundle, 0644); !s.ok()) return s;
    }
    bundle_ = authority->bundle;
  }
  // The leader puts a renewed CA into caBundle before anything serves from
  // it (the old CA stays in the bundle), so the API server never meets a
  // certificate it cannot verify; it made the Secret a moment ago, so a
  // follower that serves from the new CA first does so for milliseconds.
  if (is_leader_()) {
    for (const std::string& name : config_.validating_webhooks) {
      if (Status s = EnsureCaBundle("validatingwebhookconfigurations", name, authority->bundle); !s.ok()) return s;
    }
    for (const std::string& name : config_.mutating_webhooks) {
      if (Status s = EnsureCaBundle("mutatingwebhookconfigurations", name, authority->bundle); !s.ok()) return s;
    }
  }
  return EnsureServing(*authority, now);
}

Status CaKeeper::FirstSync(int attempts) {
  Status synced;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    if ((synced = Sync(Clock::now())).ok()) return synced;
    spdlog::warn("{} TLS: {}", config_.purpose, synced.message());
    if (attempt + 1 < attempts) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  return synced;
}

void CaKeeper::Start(std::chrono::milliseconds interval) {
  task_.Start(interval, [this] {
    if (Status s = Sync(Clock::now()); !s.ok()) spdlog::warn("{} TLS: {}", config_.purpose, s.message());
  });
}

void CaKeeper::Stop() { task_.Stop(); }

}  // namespace keyward
