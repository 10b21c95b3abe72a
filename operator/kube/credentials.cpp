#include "kube/credentials.h"

#include <cpprest/json.h>
#include <unistd.h>

#include <cctype>
#include <fstream>
#include <sstream>

#include "base/base64.h"

namespace keyward {

using web::json::value;

namespace {

constexpr auto kTokenRefresh = std::chrono::minutes(1);

std::string JsonString(const value& v, const char* name) {
  return v.is_object() && v.has_field(name) && v.at(name).is_string() ? v.at(name).as_string() : "";
}

// The kubeconfig's own token, token file and certificate.
class StaticCredentials : public CredentialSource {
 public:
  explicit StaticCredentials(const KubeConfig& c)
      : token_(c.token, c.token_file), cert_(c.client_cert_pem), key_(c.client_key_pem) {}
  Result<Credential> Get() override {
    return Credential{token_.Get(std::chrono::steady_clock::now()), cert_, key_};
  }
  bool Rejected(const Credential&) override { return false; }

 private:
  BearerToken token_;
  const std::string cert_, key_;
};

}  // namespace

BearerToken::BearerToken(std::string token, std::string token_file)
    : token_(std::move(token)), file_(std::move(token_file)) {}

std::string BearerToken::Get(std::chrono::steady_clock::time_point now) {
  if (file_.empty()) return token_;
  std::lock_guard lock(mu_);
  std::error_code ec;
  auto mtime = std::filesystem::last_write_time(file_, ec);
  if (!read_ || now - read_at_ >= kTokenRefresh || (!ec && mtime != mtime_)) {
    std::ifstream in(file_);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string t = ss.str();
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
    if (!t.empty()) cached_ = std::move(t);
    read_ = true;
    read_at_ = now;
    if (!ec) mtime_ = mtime;
  }
  return cached_.empty() ? token_ : cached_;
}

Result<ExecCredentialStatus> ParseExecCredential(const std::string& out, const std::string& api_version) {
  value doc;
  try {
    doc = value::parse(out);
  } catch (const web::json::json_exception&) {
    // Never quoted back: the output may hold a credential.
    return Status::Error("its output is not an ExecCredential (not JSON)");
  }
  if (JsonString(doc, "kind") != "ExecCredential") return Status::Error("its output's kind is not ExecCredential");
  if (JsonString(doc, "apiVersion") != api_version) {
    return Status::Error("it answered apiVersion \"" + JsonString(doc, "apiVersion") + "\", not \"" +
                         api_version + "\" as the kubeconfig asks");
  }
  if (!doc.has_field("status") || !doc.at("status").is_object()) {
    return Status::Error("its ExecCredential has no status");
  }
  const value& status = doc.at("status");
  ExecCredentialStatus result;
  result.credential.token = JsonString(status, "token");
  result.credential.cert_pem = JsonString(status, "clientCertificateData");
  result.credential.key_pem = JsonString(status, "clientKeyData");
  if (result.credential.cert_pem.empty() != result.credential.key_pem.empty()) {
    return Status::Error("its ExecCredential has only one of clientCertificateData and clientKeyData");
  }
  // The token goes into an Authorization header: a CR, LF or any other
  // control character or space would end or split it.
  for (unsigned char c : result.credential.token) {
    if (c <= ' ' || c == 0x7f) return Status::Error("its token holds a space or control character");
  }
  if (result.credential.token.empty() && result.credential.cert_pem.empty()) {
    return Status::Error("its ExecCredential has neither a token nor a client certificate");
  }
  const std::string expiry = JsonString(status, "expirationTimestamp");
  if (!expiry.empty()) {
    result.expires = ParseRfc3339(expiry);
    if (!result.expires) {
      return Status::Error("its expirationTimestamp \"" + expiry + "\" is not an RFC 3339 time");
    }
  }
  return result;
}

std::string ExecInfo(const KubeConfig& config, bool interactive) {
  value info;
  info["apiVersion"] = value::string(config.exec ? config.exec->api_version : "");
  info["kind"] = value::string("ExecCredential");
  info["spec"]["interactive"] = value::boolean(interactive);
  if (config.exec && config.exec->provide_cluster_info) {
    value cluster;
    cluster["server"] = value::string(config.server);
    if (!config.tls_server_name.empty()) cluster["tls-server-name"] = value::string(config.tls_server_name);
    if (config.insecure_skip_tls_verify) cluster["insecure-skip-tls-verify"] = value::boolean(true);
    if (!config.ca_pem.empty()) {
      cluster["certificate-authority-data"] = value::string(Base64Encode(config.ca_pem));
    }
    if (!config.proxy_url.empty()) cluster["proxy-url"] = value::string(config.proxy_url);
    info["spec"]["cluster"] = cluster;
  }
  return info.serialize();
}

ExecCredentials::ExecCredentials(KubeConfig config, bool stdin_is_terminal, Runner runner,
                                 std::function<TimePoint()> now)
    : config_(std::move(config)), terminal_(stdin_is_terminal), runner_(std::move(runner)),
      now_(std::move(now)) {}

Result<Credential> ExecCredentials::Get() {
  std::lock_guard lock(mu_);
  if (cached_ && (!cached_->expires || now_() < *cached_->expires)) return cached_->credential;
  Result<ExecCredentialStatus> fresh = Run();
  if (!fresh.ok()) {
    cached_.reset();
    return fresh.status();
  }
  cached_ = *fresh;
  if (cached_->credential.cert_pem.empty()) {  // a token alone: the kubeconfig's certificate still applies
    cached_->credential.cert_pem = config_.client_cert_pem;
    cached_->credential.key_pem = config_.client_key_pem;
  }
  return cached_->credential;
}

bool ExecCredentials::Rejected(const Credential& used) {
  std::lock_guard lock(mu_);
  if (cached_ && cached_->credential == used) cached_.reset();
  return true;  // the next Get runs the plugin again (or another thread already did)
}

Result<ExecCredentialStatus> ExecCredentials::Run() {
  const ExecConfig& exec = *config_.exec;
  const std::string who = "exec plugin " + exec.command + " (user \"" + exec.user_name + "\")";
  bool interactive = false;
  if (exec.interactive_mode == "Always") {
    if (!terminal_) return Status::Error(who + " needs a terminal (interactiveMode Always) and stdin is not one");
    interactive = true;
  } else if (exec.interactive_mode == "IfAvailable") {
    interactive = terminal_;
  }
  ProcessSpec spec;
  spec.command = exec.command;
  spec.args = exec.args;
  spec.env = exec.env;
  spec.env.emplace_back("KUBERNETES_EXEC_INFO", ExecInfo(config_, interactive));
  spec.inherit_stdin = interactive;
  Result<ProcessOutput> ran = runner_(spec);
  if (!ran.ok()) {
    return Status::Error(who + ": " + ran.error() +
                         (exec.install_hint.empty() ? "" : "\n" + exec.install_hint));
  }
  if (ran->exit_code != 0) {
    return Status::Error(who + " exited with status " + std::to_string(ran->exit_code));
  }
  Result<ExecCredentialStatus> parsed = ParseExecCredential(ran->out, exec.api_version);
  if (!parsed.ok()) return Status::Error(who + ": " + parsed.error());
  return parsed;
}

std::shared_ptr<CredentialSource> MakeCredentialSource(const KubeConfig& config) {
  if (config.exec) return std::make_shared<ExecCredentials>(config, isatty(STDIN_FILENO) == 1);
  return std::make_shared<StaticCredentials>(config);
}

}  // namespace keyward
