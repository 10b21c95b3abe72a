#include "base/status.h"

namespace keyward {

Status Status::Error(std::string message) {
  Status s;
  s.failed_ = true;
  s.message_ = message.empty() ? "unknown error" : std::move(message);
  return s;
}

Status Status::Prefixed(const std::string& what) const {
  if (ok()) return *this;
  return Error(what + ": " + message_);
}

}  // namespace keyward
