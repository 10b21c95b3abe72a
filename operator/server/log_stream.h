// One followed log on its way to a client: a thread reads the API server's
// pods/log, keeps whole lines that pass the key's filter as the rules are
// now, and ends the stream when the key stops being allowed. Bounded.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "kube/pod_log_reader.h"
#include "server/http_message.h"

namespace keyward {

// The key's rules for one stream, as they are now.
struct LogRules {
  bool allowed = true;  // false ends the stream (revoked, disabled, expired, out of scope)
  std::string filter;   // a line passes if it contains this; empty: every line
};

struct LogStreamOptions {
  // The filter the stream starts with (the one its open was decided with).
  std::string filter;
  // Asked again every |recheck|, and at once when |generation| moved: an
  // answer that is not allowed ends the stream, dropping what the client
  // has not taken; a new filter applies to every line completed after it.
  // Null: the rules never change.
  std::function<LogRules()> rules;
  // Moves whenever the rules may have changed (the key index's
  // generation). Compared before each piece read from the API server is
  // filtered, so a change seen by keyward applies to the next piece. Null:
  // the timed recheck only.
  std::function<std::uint64_t()> generation;
  // |generation|'s value before the open was decided (0, the default,
  // makes the first comparison ask again).
  std::uint64_t generation_at_open = 0;
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
  // Asks the rules again when |generation| moved or |force|; false when the
  // key is no longer allowed. Run's thread only.
  bool Refresh(bool force);
  bool Passes(std::string_view line) const;
  void Publish(std::string_view bytes);  // whole lines, filtered, into ready_
  void Finish(const char* why);

  std::unique_ptr<PodLogReader> reader_;
  const LogStreamOptions options_;
  // Run's thread only: the filter now, the generation it was decided at,
  // and the line being read.
  std::string filter_;
  std::uint64_t generation_ = 0;
  std::string partial_;

  mutable std::mutex mu_;
  std::condition_variable space_;
  std::string ready_;           // guarded by mu_
  bool done_ = false;           // guarded by mu_
  std::string why_;             // guarded by mu_
  std::atomic<bool> cancelled_{false};
  std::thread thread_;
};

}  // namespace keyward
