// What `keyward run --peer-port` adds (docs/replicas.md): the peer CA and
// this replica's certificate from it, the peer port (mutual TLS) where the
// leader answers syncs, and the loop where a follower syncs.
#pragma once
#include <memory>
#include <optional>
#include <string>

#include "base/status.h"
#include "cmd/run_options.h"
#include "keys/key_index.h"
#include "keys/quota_book.h"
#include "keys/volatile_key_store.h"
#include "kube/manager.h"
#include "replicas/peer_hub.h"
#include "replicas/replica_sync.h"
#include "server/ca_keeper.h"
#include "server/listener.h"
#include "server/metrics.h"

namespace keyward {

class Replication {
 public:
  Replication(const RunOptions& options, KubeClient& kube, QuotaBook& quotas,
              VolatileKeyStore& volatile_keys, const KeyIndex& index, Manager& manager);
  ~Replication();

  // The first certificate must be issued (30 s for the API server to
  // answer) before the port opens; an error names the flag or the file.
  Status Start();
  // Closes the peer port, then (a follower) reports its last counts.
  void Stop();

  std::optional<std::string> VolatileGap() const { return sync_ ? sync_->VolatileGap() : std::nullopt; }
  ReplicaSync::Health health() const { return sync_ ? sync_->health() : ReplicaSync::Health{}; }
  // The replication gauges at a scrape.
  void Collect(Metrics& metrics) const;

 private:
  Status StartCertificates();

  const RunOptions& options_;
  KubeClient& kube_;
  QuotaBook& quotas_;
  VolatileKeyStore& volatile_keys_;
  const KeyIndex& index_;
  Manager& manager_;
  std::string dir_;
  std::unique_ptr<CaKeeper> ca_keeper_;
  std::unique_ptr<TlsFiles> tls_;
  std::unique_ptr<PeerHub> hub_;
  std::unique_ptr<Listener> listener_;
  std::unique_ptr<PeerTransport> transport_;
  std::unique_ptr<ReplicaSync> sync_;
};

}  // namespace keyward
