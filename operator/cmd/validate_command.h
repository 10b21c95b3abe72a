// `keyward validate -f FILE|DIR|-`: the offline ApiKey linter. Uses the same
// validation code as the admission webhook.
#pragma once
#include <iosfwd>
#include <string>
#include <vector>

#include "base/time_format.h"

namespace keyward {

// Validates every ApiKey document under |paths|; prints each problem as
// "<doc name>: <field path>: <reason>" to |out| and a summary to |err|.
// Returns 0 when all are valid, 1 when any is invalid or unreadable.
int ValidateManifests(const std::vector<std::string>& paths, TimePoint now, std::ostream& out,
                      std::ostream& err);

// Entry point for argv after "validate". Returns the process exit code.
int RunValidateCommand(int argc, char** argv);

}  // namespace keyward
