// What a request to the API server authenticates with, and where it comes
// from: the kubeconfig's token, token file or certificate, or an exec plugin.
#pragma once
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "base/run_process.h"
#include "base/status.h"
#include "base/time_format.h"
#include "kube/kube_config.h"

namespace keyward {

struct Credential {
  std::string token;     // bearer token; "" = none
  std::string cert_pem;  // client certificate; "" = none
  std::string key_pem;
  bool operator==(const Credential& o) const {
    return token == o.token && cert_pem == o.cert_pem && key_pem == o.key_pem;
  }
};

// Thread-safe.
class CredentialSource {
 public:
  virtual ~CredentialSource() = default;
  // The credential for the next request; an error (a plugin failed) fails it.
  virtual Result<Credential> Get() = 0;
  // The server answered 401 to |used|. True when another Get may give a
  // different credential, so the request is worth one retry.
  virtual bool Rejected(const Credential& used) = 0;
};

// The bearer token to send: token_file's contents, re-read when its mtime
// changes or a minute has passed (bound service-account tokens rotate), else
// the static token. Thread-safe.
class BearerToken {
 public:
  BearerToken(std::string token, std::string token_file);
  // "" when there is no token. A token file that cannot be read keeps the
  // last token read from it (or the static token).
  std::string Get(std::chrono::steady_clock::time_point now);

 private:
  const std::string token_;
  const std::string file_;
  std::mutex mu_;
  std::string cached_;                             // guarded by mu_
  std::chrono::steady_clock::time_point read_at_;  // guarded by mu_
  std::filesystem::file_time_type mtime_;          // guarded by mu_
  bool read_ = false;                              // guarded by mu_
};

// What an exec plugin printed: an ExecCredential of |api_version| with a
// token or a certificate and key, and when it expires (none: until a 401).
struct ExecCredentialStatus {
  Credential credential;
  std::optional<TimePoint> expires;
};
Result<ExecCredentialStatus> ParseExecCredential(const std::string& out, const std::string& api_version);

// KUBERNETES_EXEC_INFO for a plugin: an ExecCredential whose spec says
// whether it may prompt and, with provideClusterInfo, the cluster.
std::string ExecInfo(const KubeConfig& config, bool interactive);

// Runs the kubeconfig user's exec plugin, keeps its credential until the
// expirationTimestamp, and runs it again after that or after a 401.
class ExecCredentials : public CredentialSource {
 public:
  using Runner = std::function<Result<ProcessOutput>(const ProcessSpec&)>;
  // |stdin_is_terminal| decides interactiveMode IfAvailable and Always.
  ExecCredentials(KubeConfig config, bool stdin_is_terminal, Runner runner = RunProcess,
                  std::function<TimePoint()> now = [] { return Clock::now(); });

  Result<Credential> Get() override;
  bool Rejected(const Credential& used) override;

 private:
  Result<ExecCredentialStatus> Run();

  const KubeConfig config_;
  const bool terminal_;
  const Runner runner_;
  const std::function<TimePoint()> now_;
  std::mutex mu_;  // one plugin run at a time
  std::optional<ExecCredentialStatus> cached_;  // guarded by mu_
};

// The source for |config|: its exec plugin, else its token, token file and
// certificate.
std::shared_ptr<CredentialSource> MakeCredentialSource(const KubeConfig& config);

}  // namespace keyward
