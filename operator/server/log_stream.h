// One followed log on its way to a client: a thread reads the API server's
// pods/log, keeps whole lines that pass the key's filter, and ends the
// stream when the key stops being allowed. Holds at most a bounded amount.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "kube/pod_log_reader.h"
#include "server/http_message.h"

namespace keyward {

struct LogStreamOptions {
  // A line passes if it contains this text; empty: every line passes.
  std::string filter;
  // Asked every |recheck|: false ends the stream (revoked, disabled,
  // expired, rules changed).
  std::function<bool()> still_allowed = [] { return true; };
  std::chrono::milliseconds recheck{250};
  // Bytes ready for the client above which reading from the API server
  // pauses (a slow client slows the API server's stream, nothing piles up).
  std::size_t max_buffered = 256 * 1024;
  // A line longer than this is cut (and passes or not on what was kept).
  std::size_t max_line = 64 * 1024;
};

class LogStream : public BodyStream {
 public:
  // Starts reading from |reader|, which Open succeeded on.
  LogStream(std::unique_ptr<PodLogReader> reader, LogStreamOptions options);
  ~LogStream() override;  // cancels and joins

  Poll Take(std::string* out) override;
  void Cancel() override;

  // Why the stream ended (for logs): "", "end", "revoked", "error", "cancelled".
  std::string ended_because() const;

 private:
  void Run();
  void Publish(std::string_view bytes);  // whole lines, filtered, into ready_
  void Finish(const char* why);

  std::unique_ptr<PodLogReader> reader_;
  const LogStreamOptions options_;
  std::string partial_;  // Run's thread only: the line being read

  mutable std::mutex mu_;
  std::condition_variable space_;
  std::string ready_;           // guarded by mu_
  bool done_ = false;           // guarded by mu_
  std::string why_;             // guarded by mu_
  std::atomic<bool> cancelled_{false};
  std::thread thread_;
};

}  // namespace keyward
