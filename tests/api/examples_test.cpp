// The shipped examples: every file in examples/ is accepted, and every file
// in examples/invalid/ is rejected with the message its "# expect:" line names.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cmd/validate_command.h"

namespace keyward {
namespace {

namespace fs = std::filesystem;
const TimePoint kNow = *ParseRfc3339("2026-11-22T12:00:00Z");
const std::string kExamples = std::string(KEYWARD_SOURCE_DIR) + "/examples";

std::string ToLower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

TEST(Examples, AllValidExamplesAreAccepted) {
  std::ostringstream out, err;
  EXPECT_EQ(ValidateManifests({kExamples}, kNow, out, err), 0) << out.str() << err.str();
  EXPECT_EQ(out.str(), "");
  EXPECT_NE(err.str().find(" 0 invalid"), std::string::npos) << err.str();
}

TEST(Examples, EachInvalidExampleFailsWithItsExpectedMessage) {
  int files = 0;
  for (const auto& entry : fs::directory_iterator(kExamples + "/invalid")) {
    if (entry.path().extension() != ".yaml") continue;
    ++files;
    std::ifstream in(entry.path());
    std::string first;
    std::getline(in, first);
    const std::string marker = "# expect: ";
    ASSERT_EQ(first.rfind(marker, 0), 0u) << entry.path() << " lacks an '# expect:' first line";
    std::string expect = first.substr(marker.size());
    std::size_t colon = expect.find(": ");
    ASSERT_NE(colon, std::string::npos) << entry.path();
    std::string path = expect.substr(0, colon), fragment = expect.substr(colon + 2);

    std::ostringstream out, err;
    EXPECT_EQ(ValidateManifests({entry.path().string()}, kNow, out, err), 1) << entry.path();
    std::string want = ": " + path + ": ";
    bool found = false;
    std::istringstream lines(out.str());
    for (std::string line; std::getline(lines, line);) {
      std::size_t at = line.find(want);
      if (at != std::string::npos &&
          ToLower(line.substr(at + want.size())).find(ToLower(fragment)) != std::string::npos) {
        found = true;
      }
    }
    EXPECT_TRUE(found) << entry.path() << ": want \"" << path << ": ..." << fragment
                       << "...\", got:\n" << out.str();
  }
  EXPECT_GE(files, 10);
}

}  // namespace
}  // namespace keyward
