// One way to say "it worked, or here is why not" across module lines:
// Status (ok, or an error message) and Result<T> (a value, or a Status).
#pragma once
#include <optional>
#include <string>
#include <utility>

namespace keyward {

class Status {
 public:
  Status() = default;  // ok
  static Status Error(std::string message);

  bool ok() const { return !failed_; }
  // Empty when ok. Never holds a key (callers redact before building one).
  const std::string& message() const { return message_; }
  // "what: message", for adding context on the way up.
  Status Prefixed(const std::string& what) const;

 private:
  bool failed_ = false;
  std::string message_;
};

template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit on purpose
  Result(Status error) : status_(std::move(error)) {}   // NOLINT: an error Status

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  const std::string& error() const { return status_.message(); }

  T& value() { return *value_; }
  const T& value() const { return *value_; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace keyward
