// A folder under /tmp for one test, removed with everything in it when the
// test ends. Write() makes a file there (and its parent folders).
#pragma once
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace keyward::testing {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/keyward-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Returns the file's path. |mode| 0755 makes a script runnable.
  std::string Write(const std::string& name, const std::string& content, int mode = 0644) const {
    std::string p = path_ + "/" + name;
    std::filesystem::create_directories(std::filesystem::path(p).parent_path());
    std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
    chmod(p.c_str(), static_cast<mode_t>(mode));
    return p;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace keyward::testing
