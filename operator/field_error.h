// A validation problem tied to a field path such as spec.access[0].sets,
// printed as "<path>: <reason>" by the linter and the admission webhook.
#pragma once
#include <string>
#include <vector>

namespace keyward {

struct FieldError {
  std::string path;
  std::string reason;
  std::string String() const { return path + ": " + reason; }
};

using FieldErrors = std::vector<FieldError>;

}  // namespace keyward
