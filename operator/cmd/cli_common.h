// What the kubectl-style commands (approve, deny, requests, usage) share:
// connection flags, listing every page, and a plain text table.
#pragma once
#include <boost/program_options.hpp>
#include <cpprest/json.h>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/time_format.h"
#include "kube/http_kube_client.h"
#include "kube/kube_config.h"

namespace keyward {

// kubectl's connection flags: --kubeconfig, --context, --cluster, --user,
// -n/--namespace, --as and --as-group (kube/kube_config.h has the rules).
void AddConnectionFlags(boost::program_options::options_description* desc, KubeconfigFlags* flags);

// A client as the flags say, and the namespace to act in (-n, else the
// context's, else "default").
struct CliClient {
  std::unique_ptr<HttpKubeClient> kube;
  std::string ns;
  KubeConfig config;  // what |kube| was made from (reveal sends its token elsewhere)
};
Result<CliClient> Connect(const KubeconfigFlags& flags);

// An error unless |ns| is a namespace name and |name| an object name (DNS
// labels and subdomains): they go into a URL path, where "..", "/" or "*"
// would name another resource.
Status CheckObjectName(const std::string& ns, const std::string& name);

// Every item of |path|'s collection, page by page.
Result<std::vector<web::json::value>> ListAll(KubeClient& kube, const ResourcePath& path);

// Parses argv (from the subcommand on) into |vm|; prints help or the error.
// Returns the exit code when the command should stop here.
std::optional<int> ParseCli(const char* command, const boost::program_options::options_description& desc,
                            const boost::program_options::positional_options_description& positional,
                            int argc, char** argv, boost::program_options::variables_map* vm);

// "45s", "12m", "5h", "3d": how long ago |then| was, as kubectl shows age.
std::string AgeText(TimePoint then, TimePoint now);

// Left-aligned columns, two spaces apart, like kubectl get.
void PrintTable(std::ostream& out, const std::vector<std::vector<std::string>>& rows);

// The API's message for a failed call (the webhook's refusal text).
std::string ApiMessage(const KubeResult& r);

}  // namespace keyward
