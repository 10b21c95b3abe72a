#include "cmd/replication.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cstdlib>
#include <thread>
#include <vector>

#include "replicas/peer_messages.h"

namespace keyward {

namespace {

// --peer-cert-dir, or a private directory of this process's.
Result<std::string> CertDir(const std::string& flag) {
  if (!flag.empty()) {
    ::mkdir(flag.c_str(), 0700);
    return flag;
  }
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/keyward-peer-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (!::mkdtemp(buf.data())) return Status::Error("--peer-cert-dir: cannot make " + pattern);
  return std::string(buf.data());
}

}  // namespace

Replication::Replication(const RunOptions& options, KubeClient& kube, QuotaBook& quotas,
                         VolatileKeyStore& volatile_keys, const KeyIndex& index, Manager& manager)
    : options_(options), kube_(kube), quotas_(quotas), volatile_keys_(volatile_keys),
      index_(index), manager_(manager) {}

Replication::~Replication() { Stop(); }

Status Replication::StartCertificates() {
  Result<std::string> dir = CertDir(options_.peer_cert_dir);
  if (!dir.ok()) return dir.status();
  dir_ = *dir;
  CaKeeperConfig c;
  c.namespace_name = options_.operator_namespace;
  c.ca_secret = options_.peer_ca_secret;
  c.purpose = "peer";
  c.client_auth = true;
  c.dns_names = {"keyward-peer", options_.peer_address.substr(0, options_.peer_address.rfind(':'))};
  c.cert_file = dir_ + "/peer.crt";
  c.key_file = dir_ + "/peer.key";
  c.ca_file = dir_ + "/peer-ca.crt";
  c.serving_validity = options_.tls_validity;
  ca_keeper_ = std::make_unique<CaKeeper>(kube_, c, [this] { return manager_.IsLeader(); });
  if (Status synced = ca_keeper_->FirstSync(); !synced.ok()) return synced.Prefixed("--peer-ca-secret");
  ca_keeper_->Start(std::chrono::seconds(10));
  tls_ = std::make_unique<TlsFiles>(c.cert_file, c.key_file, c.ca_file);
  if (Status loaded = tls_->Load(); !loaded.ok()) return loaded.Prefixed("--peer-cert-dir");
  tls_->StartWatching();
  return Status();
}

Status Replication::Start() {
  if (Status certs = StartCertificates(); !certs.ok()) return certs;
  hub_ = std::make_unique<PeerHub>(quotas_, volatile_keys_, index_.hasher().id(), options_.identity,
                                   [this] { return manager_.IsLeader(); });
  ListenerOptions lo;
  lo.address = options_.bind_address;
  lo.port = static_cast<std::uint16_t>(options_.peer_port);
  lo.threads = 1;
  lo.max_body_bytes = 64u << 20;  // a follower's usage of every key it served
  lo.max_connections = 256;
  // A follower holds one connection; nobody without a peer certificate
  // gets past the handshake, so a source with 8 in flight is not a peer.
  lo.max_handshakes_per_source = 8;
  listener_ = std::make_unique<Listener>(lo, [this](const HttpRequest& r) {
    if (r.path == kPeerSyncPath) return hub_->Handle(r);
    return JsonError(404, "the peer port serves only " + std::string(kPeerSyncPath));
  }, tls_.get());
  if (Status started = listener_->Start(); !started.ok()) return started.Prefixed("--peer-port");
  transport_ = MakeTlsPeerTransport({dir_ + "/peer.crt", dir_ + "/peer.key", dir_ + "/peer-ca.crt"},
                                    std::max(options_.peer_sync_interval * 4, std::chrono::milliseconds(1000)));
  ReplicaSyncEnv env;
  env.identity = options_.identity;
  env.pepper_id = index_.hasher().id();
  env.interval = options_.peer_sync_interval;
  env.quotas = &quotas_;
  env.volatile_keys = &volatile_keys_;
  env.transport = transport_.get();
  env.hub = hub_.get();
  env.is_leader = [this] { return manager_.IsLeader(); };
  env.holder = [this] { return manager_.Holder(); };
  env.volatile_changed = [this](const ApiKeyRef& ref) { manager_.queue().Add(ref.String()); };
  sync_ = std::make_unique<ReplicaSync>(env);
  // Nobody leads yet: what is counted before the first sync is reported.
  quotas_.SetReporting(!manager_.IsLeader());
  sync_->Start();
  spdlog::info("replicas: serving {} on https://{}:{} (mutual TLS, CA in Secret {}/{}); "
               "advertised as {}; followers sync every {} ms",
               kPeerSyncPath, options_.bind_address, listener_->port(), options_.operator_namespace,
               options_.peer_ca_secret, options_.peer_address, options_.peer_sync_interval.count());
  return Status();
}

void Replication::Collect(Metrics& metrics) const {
  if (!sync_) return;
  Metrics::Replication r;
  const ReplicaSync::Health h = sync_->health();
  r.leader = manager_.IsLeader();
  r.followers = r.leader ? static_cast<double>(hub_->FollowersWithin(std::chrono::seconds(3))) : 0;
  if (r.leader) {
    r.sync_age = 0;
  } else if (h.last_ok != std::chrono::steady_clock::time_point{}) {
    r.sync_age = std::chrono::duration<double>(std::chrono::steady_clock::now() - h.last_ok).count();
  }
  r.syncs = static_cast<double>(h.syncs);
  r.failures = static_cast<double>(h.failures);
  metrics.SetReplication(r);
}

void Replication::Stop() {
  if (listener_) listener_->Stop();
  if (sync_) {
    sync_->Stop();
    if (!manager_.IsLeader()) sync_->SyncOnce();  // a follower's last counts reach the leader
  }
  if (ca_keeper_) ca_keeper_->Stop();
  if (tls_) tls_->Stop();
  listener_.reset();
  sync_.reset();
}

}  // namespace keyward
