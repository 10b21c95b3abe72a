// keyward scan over a folder as a pre-commit hook runs it: where each key
// is, by hint only, .git skipped unless asked, and the exit code.
#include "cmd/scan_command.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "keys/key_format.h"
#include "testing/temp_dir.h"

namespace keyward {
namespace {

struct Ran {
  int code;
  std::string out;
};

Ran Scan(std::vector<std::string> args) {
  args.insert(args.begin(), "scan");  // as main passes it: argv[-1] is the command
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::ostringstream out;
  std::streambuf* was = std::cout.rdbuf(out.rdbuf());
  int code = RunScanCommand(static_cast<int>(args.size()) - 1, argv.data() + 1);
  std::cout.rdbuf(was);
  return {code, out.str()};
}

TEST(ScanCommand, NamesFileLineAndHintAndExitsOneWhenAKeyIsFound) {
  testing::TempDir dir;
  const std::string key = MintKey(), hidden = MintKey();
  dir.Write("clean.txt", "nothing here kw_notakey\n");
  const std::string leaked = dir.Write("app/config.yaml", "a: 1\nb: 2\ntoken: " + key + "\n");
  dir.Write(".git/objects/ab", "packed " + hidden + "\n");
  Ran ran = Scan({dir.path()});
  EXPECT_EQ(ran.code, 1);
  EXPECT_EQ(ran.out, leaked + ":3: keyward key " + KeyHint(key) + "\n");
  EXPECT_EQ(ran.out.find(key), std::string::npos) << "the key itself was printed";
  Ran with_git = Scan({"--include-git", dir.path()});
  EXPECT_EQ(with_git.code, 1);
  EXPECT_NE(with_git.out.find(KeyHint(hidden)), std::string::npos);
  // A folder linked into itself is not followed.
  ASSERT_EQ(symlink(dir.path().c_str(), (dir.path() + "/app/loop").c_str()), 0);
  EXPECT_EQ(Scan({dir.path()}).code, 1);
}

TEST(ScanCommand, NothingFoundIsZeroAndAPathThatCannotBeReadIsTwo) {
  testing::TempDir dir;
  dir.Write("clean.txt", "kw_ but no key\n");
  EXPECT_EQ(Scan({dir.path() + "/clean.txt"}).code, 0);
  EXPECT_EQ(Scan({dir.path() + "/missing"}).code, 2);
  EXPECT_EQ(Scan({"--no-such-flag"}).code, 2);
}

}  // namespace
}  // namespace keyward
