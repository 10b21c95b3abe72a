#include "server/tls_files.h"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

namespace keyward {

namespace ssl = boost::asio::ssl;

namespace {

Result<std::string> ReadPem(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error(std::string("cannot read ") + what + " " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

Result<SslContextPtr> LoadServerContext(const std::string& cert_file, const std::string& key_file,
                                        const std::string& client_ca_file) {
  Result<std::string> cert = ReadPem(cert_file, "--tls-cert-file");
  if (!cert.ok()) return cert.status();
  Result<std::string> key = ReadPem(key_file, "--tls-private-key-file");
  if (!key.ok()) return key.status();
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                  SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_cipher_list(native, "ECDHE+AESGCM:ECDHE+CHACHA20");
  boost::system::error_code ec;
  ctx->use_certificate_chain(boost::asio::buffer(*cert), ec);
  if (ec) return Status::Error("--tls-cert-file " + cert_file + ": not a PEM certificate chain");
  ctx->use_private_key(boost::asio::buffer(*key), ssl::context::pem, ec);
  if (ec) return Status::Error("--tls-private-key-file " + key_file + ": not a PEM private key");
  if (SSL_CTX_check_private_key(native) != 1) {
    return Status::Error("--tls-private-key-file " + key_file + " does not match --tls-cert-file " +
                         cert_file);
  }
  if (!client_ca_file.empty()) {
    ctx->load_verify_file(client_ca_file, ec);
    if (ec) return Status::Error("client CA " + client_ca_file + ": not a PEM certificate bundle");
    ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }
  return ctx;
}

TlsFiles::TlsFiles(std::string cert_file, std::string key_file, std::string client_ca_file)
    : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)),
      client_ca_file_(std::move(client_ca_file)) {}

TlsFiles::~TlsFiles() { Stop(); }

std::string TlsFiles::Fingerprint() const {
  std::string out;
  for (const std::string& path : {cert_file_, key_file_, client_ca_file_}) {
    if (path.empty()) continue;
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) return "";
    out += std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
           std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + ";";
  }
  return out;
}

Status TlsFiles::Load() {
  std::string fingerprint = Fingerprint();
  Result<SslContextPtr> ctx = LoadServerContext(cert_file_, key_file_, client_ca_file_);
  if (!ctx.ok()) return ctx.status();
  std::lock_guard lock(mu_);
  current_ = *ctx;
  fingerprint_ = fingerprint;
  return Status();
}

SslContextPtr TlsFiles::Current() const {
  std::lock_guard lock(mu_);
  return current_;
}

void TlsFiles::StartWatching(std::chrono::milliseconds interval) {
  task_.Start(interval, [this] { ReloadIfChanged(); });
}

void TlsFiles::ReloadIfChanged() {
  std::string seen;
  {
    std::lock_guard lock(mu_);
    seen = fingerprint_;
  }
  std::string now = Fingerprint();
  if (now.empty() || now == seen) return;
  Result<SslContextPtr> ctx = LoadServerContext(cert_file_, key_file_, client_ca_file_);
  std::lock_guard lock(mu_);
  fingerprint_ = now;  // a bad pair is reported once, not every second
  if (ctx.ok()) {
    current_ = *ctx;
    ++reloads_;
    spdlog::info("serving certificate reloaded from {}", cert_file_);
  } else {
    spdlog::error("serving certificate not reloaded (keeping the previous one): {}", ctx.error());
  }
}

void TlsFiles::Stop() { task_.Stop(); }

}  // namespace keyward
