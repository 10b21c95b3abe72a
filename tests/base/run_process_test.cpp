#include "base/run_process.h"

#include <gtest/gtest.h>

namespace keyward {
namespace {

TEST(RunProcess, CollectsStdoutAndExitCode) {
  auto r = RunProcess({"sh", {"-c", "echo \"$X\"; read line || echo no-stdin; exit 4"}, {{"X", "hi"}}});
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->out, "hi\nno-stdin\n");
  EXPECT_EQ(r->exit_code, 4);
}

TEST(RunProcess, SaysWhenItCannotStartOrPrintsTooMuch) {
  auto missing = RunProcess({"keyward-no-such-plugin", {}, {}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(), "cannot run keyward-no-such-plugin: not found");

  ProcessSpec chatty{"sh", {"-c", "yes"}, {}};
  chatty.max_output = 1000;
  auto cut = RunProcess(chatty);
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.error().find("more than 1000 bytes"), std::string::npos);

  auto killed = RunProcess({"sh", {"-c", "kill -9 $$"}, {}});
  ASSERT_FALSE(killed.ok());
  EXPECT_NE(killed.error().find("signal 9"), std::string::npos);
}

}  // namespace
}  // namespace keyward
