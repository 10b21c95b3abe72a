#include "cmd/scan_command.h"

#include <boost/program_options.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "keys/key_scanner.h"

namespace keyward {

namespace fs = std::filesystem;
namespace po = boost::program_options;

namespace {

struct Scan {
  bool include_git = false;
  std::size_t found = 0, unreadable = 0;

  void Stream(std::istream& in, std::string where) {
    // A file name with a newline or escape must not forge a line of output.
    for (char& c : where) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    }
    for (const FoundKey& k : ScanStream(in)) {
      std::cout << where << ":" << k.line << ": keyward key " << k.hint << "\n";
      ++found;
    }
  }

  void File(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::cerr << "keyward scan: cannot read " << path.string() << "\n";
      ++unreadable;
      return;
    }
    Stream(in, path.string());
  }

  void Path(const fs::path& path) {
    std::error_code ec;
    fs::file_status st = fs::symlink_status(path, ec);
    if (ec) {
      std::cerr << "keyward scan: " << path.string() << ": " << ec.message() << "\n";
      ++unreadable;
      return;
    }
    if (fs::is_directory(st)) {
      Directory(path);
    } else if (fs::is_regular_file(st) || fs::is_symlink(st)) {
      // A link to a file is read; a link to a folder is not followed (loops).
      if (fs::is_symlink(st) && fs::is_directory(path, ec)) return;
      File(path);
    }
  }

  void Directory(const fs::path& dir) {
    std::error_code ec;
    fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
    if (ec) {
      std::cerr << "keyward scan: " << dir.string() << ": " << ec.message() << "\n";
      ++unreadable;
      return;
    }
    for (; it != end; it.increment(ec)) {
      if (ec) {
        std::cerr << "keyward scan: " << ec.message() << "\n";
        ++unreadable;
        break;
      }
      const fs::directory_entry& entry = *it;
      if (entry.is_directory(ec) && !entry.is_symlink(ec)) {
        if (!include_git && entry.path().filename() == ".git") it.disable_recursion_pending();
        continue;
      }
      if (entry.is_regular_file(ec) && !entry.is_symlink(ec)) File(entry.path());
    }
  }
};

}  // namespace

int RunScanCommand(int argc, char** argv) {
  Scan scan;
  std::vector<std::string> paths;
  po::options_description desc(
      "keyward scan [PATH...|-] [flags]\n"
      "Finds keyward keys (kw_ and 36 characters with a valid checksum) in files, folders (read\n"
      "recursively; links to folders are not followed) and stdin (-). Default: the current folder.\n"
      "Prints FILE:LINE and the key's hint, never the key. Exit codes: 0 none found, 1 keys found,\n"
      "2 bad usage or a path that could not be read. For a pre-commit hook or a CI step.\n"
      "(Reporting what it finds to keyward, --report, is not built yet.)");
  desc.add_options()("help,h", "show this help")
    ("include-git", po::bool_switch(&scan.include_git), "also read .git folders (skipped by default)")
    ("path", po::value(&paths), "files, folders, or - for stdin");
  po::positional_options_description positional;
  positional.add("path", -1);
  try {
    po::variables_map vm;
    po::store(po::command_line_parser(argc + 1, argv - 1).options(desc).positional(positional).run(), vm);
    if (vm.count("help")) {
      std::cout << desc;
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "keyward scan: " << e.what() << "\n";
    return 2;
  }
  if (paths.empty()) paths.push_back(".");
  for (const std::string& p : paths) {
    if (p == "-") {
      scan.Stream(std::cin, "(stdin)");
    } else {
      scan.Path(p);
    }
  }
  if (scan.unreadable) return 2;
  return scan.found ? 1 : 0;
}

}  // namespace keyward
