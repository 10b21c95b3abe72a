// `keyward run`: parses flags and runs the operator until SIGTERM/SIGINT.
#pragma once

namespace keyward {

// Entry point for argv after "run". Returns the process exit code.
int RunOperatorCommand(int argc, char** argv);

}  // namespace keyward
