// Keeps the webhooks' TLS with no cert-manager: a CA in a Secret of the
// operator's namespace, a serving certificate per replica issued from it and
// written where TlsFiles reloads it, and (leader) the webhook
// configurations' caBundle. cert-manager's dynamic authority is the model.
#pragma once
#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "base/periodic_task.h"
#include "base/status.h"
#include "base/time_format.h"
#include "kube/kube_client.h"
#include "server/cert_authority.h"

namespace keyward {

struct CaKeeperConfig {
  std::string namespace_name;  // the operator's namespace
  std::string ca_secret;       // the CA's Secret there (created when absent)
  std::vector<std::string> dns_names;  // the Service's names; the first is the CN
  std::string cert_file, key_file;     // this replica's serving pair
  std::string ca_file;                 // where the CA bundle is written too (optional)
  std::string purpose = "webhook";     // names the CA ("keyward-<purpose>-ca") and log lines
  bool client_auth = false;            // the pair serves as a client certificate too
  Clock::duration serving_validity = std::chrono::hours(24 * 7);
  Clock::duration ca_validity = std::chrono::hours(24 * 365);
  // Webhook configurations whose every webhook's caBundle the leader keeps.
  std::vector<std::string> validating_webhooks, mutating_webhooks;
};

class CaKeeper {
 public:
  CaKeeper(KubeClient& kube, CaKeeperConfig config, std::function<bool()> is_leader);
  ~CaKeeper();
  CaKeeper(const CaKeeper&) = delete;
  CaKeeper& operator=(const CaKeeper&) = delete;

  // One pass at |now|: reads the CA (any replica creates it when absent; the
  // leader renews it once two thirds of its life are gone, keeping the old
  // one in the bundle until it expires), issues this replica's certificate
  // when it is missing, due or from another CA, and (leader) brings every
  // caBundle up to date. Errors never contain a private key.
  Status Sync(TimePoint now);

  // The first pass, before anything is served (the files it writes are what
  // TlsFiles loads): Sync once a second until it succeeds, |attempts| times
  // at most; the last error when none did.
  Status FirstSync(int attempts = 30);

  // Sync every |interval| on a thread of its own until Stop().
  void Start(std::chrono::milliseconds interval = std::chrono::seconds(30));
  void Stop();

  int issued() const { return issued_.load(); }
  // The CA bundle last read (PEM), for tests and the caBundle.
  std::string bundle() const;

 private:
  struct Authority {
    PemPair ca;
    std::string bundle;  // ca.crt: the current CA, and the previous until it expires
  };
  Result<Authority> ReadOrCreateCa(TimePoint now);
  Result<Authority> RenewCa(const web::json::value& secret, const Authority& current, TimePoint now);
  Status EnsureServing(const Authority& authority, TimePoint now);
  Status EnsureCaBundle(const std::string& plural, const std::string& name, const std::string& bundle);

  KubeClient& kube_;
  const CaKeeperConfig config_;
  const std::function<bool()> is_leader_;
  mutable std::mutex mu_;
  PemPair serving_;
  std::string bundle_;
  std::atomic<int> issued_{0};
  PeriodicTask task_;
};

// Writes |content| to |path| through a temporary file and a rename, so a
// reader sees the old file or the new one, never half of one. |mode| e.g. 0600.
Status WriteFileAtomically(const std::string& path, const std::string& content, unsigned mode);

}  // namespace keyward
