#include "cmd/rotate_command.h"

#include <iostream>
#include <string>
#include <vector>

#include "api/apikey.h"
#include "cmd/cli_common.h"

namespace keyward {

namespace po = boost::program_options;
using web::json::value;

int RunRotateCommand(int argc, char** argv) {
  KubeconfigFlags conn;
  std::vector<std::string> names;
  po::options_description desc(
      "keyward rotate [-n NAMESPACE] NAME... | NAMESPACE/NAME... [flags]\n"
      "Mints a new key for each ApiKey now (annotation " + std::string(kRotateRequestedAnnotation) +
      "); the old key stays valid for spec.rotation.overlap (default 1h). Needs patch on apikeys");
  desc.add_options()("help,h", "show this help")
    ("apikey", po::value(&names)->required(), "the ApiKeys: NAME (in -n) or NAMESPACE/NAME");
  AddConnectionFlags(&desc, &conn);
  po::positional_options_description positional;
  positional.add("apikey", -1);
  po::variables_map vm;
  if (auto code = ParseCli("rotate", desc, positional, argc, argv, &vm)) return *code;
  auto client = Connect(conn);
  if (!client.ok()) return std::cerr << "error: " << client.error() << "\n", 1;
  int code = 0;
  for (const std::string& arg : names) {
    const auto slash = arg.find('/');
    const std::string ns = slash == std::string::npos ? client->ns : arg.substr(0, slash);
    const std::string name = slash == std::string::npos ? arg : arg.substr(slash + 1);
    if (Status named = CheckObjectName(ns, name); !named.ok()) {
      std::cerr << "error: rotate: " << named.message() << "\n";
      code = 1;
      continue;
    }
    value patch;
    patch["metadata"]["annotations"][kRotateRequestedAnnotation] = value::string(FormatRfc3339(Clock::now()));
    KubeResult r = client->kube->MergePatch({kApiVersion, "apikeys", ns, name, ""}, patch);
    if (!r.status.ok()) {
      std::cerr << "error: rotate " << ns << "/" << name << ": " << ApiMessage(r) << "\n";
      code = 1;
      continue;
    }
    std::cout << "ApiKey " << ns << "/" << name << " rotation requested\n";
  }
  return code;
}

}  // namespace keyward
