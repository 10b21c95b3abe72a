#include "base/secure_memory.h"

#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace keyward {
namespace {

TEST(Wipe, ZeroesThenClears) {
  std::string key = "kw_secret-material";
  const char* storage = key.data();
  const std::size_t size = key.size();
  Wipe(key);
  EXPECT_TRUE(key.empty());
  // The same heap/SSO storage, now zeros up to the old length.
  for (std::size_t i = 0; i < size; ++i) EXPECT_EQ(storage[i], '\0') << i;
}

TEST(MakeNonDumpable, TurnsOffDumpableInTheCallingProcess) {
  // In a child, so the test runner itself stays dumpable.
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    bool ok = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 1 && MakeNonDumpable() &&
              prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0;
    _exit(ok ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace keyward
