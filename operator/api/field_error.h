// A validation problem tied to a field path such as spec.access[0].sets,
// printed as "<path>: <reason>" by the linter and the admission webhook.
#pragma once
#include <string>
#include <vector>

#include "keys/key_format.h"

namespace keyward {

struct FieldError {
  std::string path;
  std::string reason;
  // Never contains a key, even one pasted into the wrong field.
  std::string String() const { return RedactKeys(path + ": " + reason); }
};

using FieldErrors = std::vector<FieldError>;

}  // namespace keyward
