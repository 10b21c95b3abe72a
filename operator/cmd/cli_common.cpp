#include "cmd/cli_common.h"

#include <algorithm>
#include <iostream>

#include "api/validation.h"
#include "kube/json_fields.h"
#include "kube/kube_config.h"

namespace keyward {

namespace po = boost::program_options;

void AddConnectionFlags(po::options_description* desc, KubeconfigFlags* f) {
  desc->add_options()
    ("namespace,n", po::value(&f->namespace_name), "namespace (default: the context's, else \"default\")")
    ("kubeconfig", po::value(&f->kubeconfig),
     "this kubeconfig file alone (default: $KUBECONFIG, else ~/.kube/config, else in-cluster)")
    ("context", po::value(&f->context), "kubeconfig context (default: its current-context)")
    ("cluster", po::value(&f->cluster), "kubeconfig cluster instead of the context's")
    ("user", po::value(&f->user), "kubeconfig user instead of the context's")
    ("as", po::value(&f->as), "act as this user (impersonation, like kubectl --as)")
    ("as-group", po::value(&f->as_groups)->composing(), "with --as: act in this group (once)");
}

Result<CliClient> Connect(const KubeconfigFlags& flags) {
  Result<KubeConfig> config = LoadClientConfig(flags);
  if (!config.ok()) return config.status();
  CliClient client;
  client.ns = config->default_namespace.empty() ? "default" : config->default_namespace;
  if (!IsDns1123Label(client.ns)) return Status::Error("namespace \"" + client.ns + "\" is not a namespace name");
  client.kube = std::make_unique<HttpKubeClient>(*config, 20, 40);
  client.config = *config;
  return client;
}

Status CheckObjectName(const std::string& ns, const std::string& name) {
  // Quoted back at most 64 bytes: a name of a megabyte is not echoed whole.
  auto quoted = [](const std::string& s) { return "\"" + s.substr(0, 64) + (s.size() > 64 ? "…\"" : "\""); };
  if (!IsDns1123Label(ns)) return Status::Error(quoted(ns) + " is not a namespace name");
  if (!IsDns1123Subdomain(name)) return Status::Error(quoted(name) + " is not an object name");
  return Status();
}

Result<std::vector<web::json::value>> ListAll(KubeClient& kube, const ResourcePath& path) {
  std::vector<web::json::value> items;
  ListOptions options;
  do {
    KubeResult page = kube.List(path, options);
    if (!page.status.ok()) return Status::Error("listing " + path.plural + ": " + ApiMessage(page));
    for (const auto& item : JsonArray(page.body, {"items"})) items.push_back(item);
    options.continue_token = JsonStringOr(page.body, {"metadata", "continue"});
  } while (!options.continue_token.empty());
  return items;
}

std::optional<int> ParseCli(const char* command, const po::options_description& desc,
                            const po::positional_options_description& positional, int argc,
                            char** argv, po::variables_map* vm) {
  try {
    po::store(po::command_line_parser(argc + 1, argv - 1).options(desc).positional(positional).run(), *vm);
    if (vm->count("help")) {
      std::cout << desc;
      return 0;
    }
    po::notify(*vm);
  } catch (const po::error& e) {
    std::cerr << "keyward " << command << ": " << e.what() << "\n(see keyward " << command << " --help)\n";
    return 2;
  }
  return std::nullopt;
}

std::string AgeText(TimePoint then, TimePoint now) {
  auto s = std::chrono::duration_cast<std::chrono::seconds>(now - then).count();
  if (s < 0) s = 0;
  if (s < 120) return std::to_string(s) + "s";
  if (s < 7200) return std::to_string(s / 60) + "m";
  if (s < 2 * 86400) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}

void PrintTable(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& row : rows) {
    if (width.size() < row.size()) width.resize(row.size(), 0);
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    out << line << "\n";
  }
}

std::string ApiMessage(const KubeResult& r) {
  std::string message = JsonStringOr(r.body, {"message"});
  return message.empty() ? r.status.String() : message;
}

}  // namespace keyward
