// keyward: the operator binary. Subcommands: run, validate, check, approve,
// deny, requests, usage, rotate, reveal, scan, version.
#include <cstring>
#include <iostream>
#include <string>

#include "cmd/check_command.h"
#include "cmd/request_commands.h"
#include "cmd/reveal_command.h"
#include "cmd/rotate_command.h"
#include "cmd/scan_command.h"
#include "cmd/run_command.h"
#include "cmd/usage_command.h"
#include "cmd/validate_command.h"
#include "cmd/version.h"

namespace {

void Usage(std::ostream& out) {
  out << "keyward manages API keys as Kubernetes custom resources.\n\n"
         "Usage:\n"
         "  keyward run [flags]              run the operator (see keyward run --help)\n"
         "  keyward validate -f FILE|DIR|-   lint keyward manifests offline (keys, templates, requests)\n"
         "  keyward check -n NS [--pod P]     decide for a key read from stdin\n"
         "  keyward requests [-n NS|-A]      list ApiKeyRequests, pending first\n"
         "  keyward approve [-n NS] REQ...   approve ApiKeyRequests [--reason TEXT]\n"
         "  keyward deny [-n NS] REQ...      deny ApiKeyRequests [--reason TEXT]\n"
         "  keyward usage [-n NS|-A]         requests and cost per key [--from --to -o]\n"
         "  keyward rotate [-n NS] KEY...    mint a new key now (the old one overlaps)\n"
         "  keyward reveal [-n NS] KEY       print a volatile key, once\n"
         "  keyward scan [PATH...|-]         find keys in files (a pre-commit hook, a CI step)\n"
         "  keyward version                  print the version\n\n"
         "The commands that talk to a cluster log in as kubectl does (docs/cli.md).\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    Usage(std::cerr);
    return 2;
  }
  std::string cmd = argv[1];
  if (cmd == "run") return keyward::RunOperatorCommand(argc - 2, argv + 2);
  if (cmd == "check") return keyward::RunCheckCommand(argc - 2, argv + 2);
  if (cmd == "validate") return keyward::RunValidateCommand(argc - 2, argv + 2);
  if (cmd == "approve") return keyward::RunApproveCommand(argc - 2, argv + 2);
  if (cmd == "deny") return keyward::RunDenyCommand(argc - 2, argv + 2);
  if (cmd == "requests") return keyward::RunRequestsCommand(argc - 2, argv + 2);
  if (cmd == "usage") return keyward::RunUsageCommand(argc - 2, argv + 2);
  if (cmd == "rotate") return keyward::RunRotateCommand(argc - 2, argv + 2);
  if (cmd == "reveal") return keyward::RunRevealCommand(argc - 2, argv + 2);
  if (cmd == "scan") return keyward::RunScanCommand(argc - 2, argv + 2);
  if (cmd == "version" || cmd == "--version") {
    std::cout << "keyward " << keyward::kVersion << "\n";
    return 0;
  }
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    Usage(std::cout);
    return 0;
  }
  std::cerr << "keyward: unknown command \"" << cmd << "\"\n";
  Usage(std::cerr);
  return 2;
}
