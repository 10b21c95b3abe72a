#include "base/secure_memory.h"

#include <openssl/crypto.h>
#include <sys/prctl.h>

namespace keyward {

void Wipe(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

bool MakeNonDumpable() { return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0; }

}  // namespace keyward
