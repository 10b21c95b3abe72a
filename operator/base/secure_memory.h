// Key material hygiene: wiping buffers that held a key, and keeping the
// process out of core dumps and ptrace by other users.
#pragma once
#include <string>

namespace keyward {

// Overwrites |s| with zeros (OPENSSL_cleanse: not optimised away), then
// clears it.
void Wipe(std::string& s);

// prctl(PR_SET_DUMPABLE, 0): no core dump, and /proc/<pid>/mem and ptrace
// need CAP_SYS_PTRACE. Returns false (errno set) if the kernel refused.
bool MakeNonDumpable();

}  // namespace keyward
