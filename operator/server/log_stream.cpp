#include "server/log_stream.h"

namespace keyward {

LogStream::LogStream(std::unique_ptr<PodLogReader> reader, LogStreamOptions options)
    : reader_(std::move(reader)), options_(std::move(options)), filter_(options_.filter),
      generation_(options_.generation_at_open) {
  thread_ = std::thread([this] { Run(); });
}

LogStream::~LogStream() {
  Cancel();
  if (thread_.joinable()) thread_.join();
}

BodyStream::Poll LogStream::Take(std::string* out) {
  std::lock_guard lock(mu_);
  if (!ready_.empty()) {
    out->append(ready_);
    ready_.clear();
    space_.notify_all();
    return Poll::kData;
  }
  return done_ ? Poll::kEnd : Poll::kWait;
}

void LogStream::Cancel() {
  cancelled_ = true;
  std::lock_guard lock(mu_);
  space_.notify_all();
}

std::string LogStream::ended_because() const {
  std::lock_guard lock(mu_);
  return why_;
}

void LogStream::Finish(const char* why) {
  std::lock_guard lock(mu_);
  // The last line of a log that ended without a newline.
  if (!partial_.empty() && why == std::string_view("end") && Passes(partial_)) ready_ += partial_;
  // A key no longer allowed: what the client has not taken stays here.
  if (why == std::string_view("revoked")) ready_.clear();
  done_ = true;
  why_ = why;
}

bool LogStream::Passes(std::string_view line) const {
  return filter_.empty() || line.find(filter_) != std::string_view::npos;
}

bool LogStream::Refresh(bool force) {
  if (!options_.rules) return true;
  if (options_.generation) {
    // Read before the rules are asked: a change after this read moves it
    // again, and the next call asks once more.
    std::uint64_t now = options_.generation();
    if (now != generation_) {
      generation_ = now;
      force = true;
    }
  }
  if (!force) return true;
  LogRules rules = options_.rules();
  if (!rules.allowed) return false;
  filter_ = std::move(rules.filter);
  return true;
}

void LogStream::Publish(std::string_view bytes) {
  std::string passed;
  std::size_t start = 0;
  for (;;) {
    std::size_t nl = bytes.find('\n', start);
    std::string_view piece = bytes.substr(start, nl == std::string_view::npos ? nl : nl - start);
    if (partial_.size() < options_.max_line) {
      partial_.append(piece.substr(0, options_.max_line - partial_.size()));
    }
    if (nl == std::string_view::npos) break;
    if (Passes(partial_)) {
      passed += partial_;
      passed += '\n';
    }
    partial_.clear();
    start = nl + 1;
  }
  if (passed.empty()) return;
  std::lock_guard lock(mu_);
  ready_ += passed;
}

void LogStream::Run() {
  using std::chrono::steady_clock;
  auto checked = steady_clock::now();
  std::string bytes;
  while (!cancelled_) {
    const bool due = steady_clock::now() - checked >= options_.recheck;
    if (due) checked = steady_clock::now();
    if (!Refresh(due)) return Finish("revoked");
    {
      // A client that does not read: wait for it, re-checking the key.
      std::unique_lock lock(mu_);
      if (ready_.size() >= options_.max_buffered) {
        space_.wait_for(lock, options_.recheck);
        continue;
      }
    }
    bytes.clear();
    switch (reader_->ReadSome(&bytes, options_.recheck)) {
      case PodLogReader::Read::kData:
        // Rules that changed while this piece was on its way apply to it.
        if (!Refresh(false)) return Finish("revoked");
        Publish(bytes);
        break;
      case PodLogReader::Read::kTimeout:
        break;
      case PodLogReader::Read::kEnd:
        return Finish(Refresh(false) ? "end" : "revoked");
      case PodLogReader::Read::kError:
        return Finish("error");
    }
  }
  Finish("cancelled");
}

}  // namespace keyward
