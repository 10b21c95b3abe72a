// The serving certificate and key, loaded from PEM files into a TLS 1.2+
// context and reloaded when either file changes; new connections only.
#pragma once
#include <boost/asio/ssl/context.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "base/periodic_task.h"
#include "base/status.h"

namespace keyward {

using SslContextPtr = std::shared_ptr<boost::asio::ssl::context>;

// A server context: TLS 1.2 minimum, forward-secret AEAD ciphers, the
// certificate chain and key from the files. The error names the file.
// With |client_ca_file|, every client must present a certificate that
// chains to a CA in that file (mutual TLS between replicas).
Result<SslContextPtr> LoadServerContext(const std::string& cert_file, const std::string& key_file,
                                        const std::string& client_ca_file = "");

class TlsFiles {
 public:
  TlsFiles(std::string cert_file, std::string key_file, std::string client_ca_file = "");
  ~TlsFiles();
  TlsFiles(const TlsFiles&) = delete;
  TlsFiles& operator=(const TlsFiles&) = delete;

  // Loads the pair once; an error names the file.
  Status Load();
  // Polls the files every |interval| (a Secret volume swaps a symlink, so
  // the path is stat'ed, never an open fd). A bad new pair keeps the old
  // context and logs one line naming the file.
  void StartWatching(std::chrono::milliseconds interval = std::chrono::seconds(1));
  void Stop();

  // The context for a new connection (open ones keep theirs).
  SslContextPtr Current() const;
  int reloads() const { return reloads_.load(); }

 private:
  std::string Fingerprint() const;  // inode, size and mtime of both files
  void ReloadIfChanged();

  const std::string cert_file_, key_file_, client_ca_file_;
  mutable std::mutex mu_;
  SslContextPtr current_;
  std::string fingerprint_;
  std::atomic<int> reloads_{0};
  PeriodicTask task_;
};

}  // namespace keyward
