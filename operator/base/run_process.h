// Runs a program and collects what it prints on stdout: for credential
// plugins. stderr stays the caller's, so a plugin can prompt there.
#pragma once
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace keyward {

struct ProcessSpec {
  std::string command;  // searched in $PATH unless it holds a '/'
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;  // added to (or replacing in) this process's environment
  bool inherit_stdin = false;  // else stdin is /dev/null
  std::size_t max_output = 1 << 20;
};

struct ProcessOutput {
  int exit_code = 0;
  std::string out;
};

// Waits for the program to exit. An error when it cannot start (the
// message says whether it was not found), when it is killed by a signal,
// or when it prints more than max_output bytes (it is killed then).
Result<ProcessOutput> RunProcess(const ProcessSpec& spec);

}  // namespace keyward
