#include "check_command.h"

#include <boost/program_options.hpp>
#include <iostream>
#include <string>

#include "key_policy.h"
#include "apikey.h"
#include "apikey_policy.h"
#include "http_kube_client.h"
#include "key_index.h"
#include "kube_config.h"
#include "owner_resolver.h"
#include "pepper.h"
#include "validation.h"

namespace keyward {
namespace po = boost::program_options;

namespace {

// Builds an index of every permanent key from ApiKey status (as a follower
// replica does). Volatile keys live only in the operator's memory.
void IndexAllApiKeys(KubeClient& kube, KeyIndex* index, std::string* error) {
  ListOptions options;
  ResourcePath all{kApiVersion, "apikeys", "", "", ""};
  do {
    KubeResult page = kube.List(all, options);
    if (!page.status.ok()) {
      *error = "listing ApiKeys: " + page.status.String();
      return;
    }
    for (const auto& item : page.body.at("items").as_array()) {
      FieldErrors ignored;
      ApiKey key = ParseApiKey(item, &ignored);
      auto digest = DigestFromStatus(key.status.key_hash);
      if (!digest) continue;
      auto policy = PolicyOf(key, Clock::now());
      index->SetPolicy(policy);
      index->AddKey(policy->ref, *digest);
    }
    const auto& meta = page.body.at("metadata");
    options.continue_token = meta.has_field("continue") ? meta.at("continue").as_string() : "";
  } while (!options.continue_token.empty());
}

}  // namespace

int RunCheckCommand(int argc, char** argv) {
  std::string kubeconfig, op_namespace = "keyward-system", pepper_secret = "keyward-pepper";
  AccessTarget target;
  po::options_description desc("keyward check flags (the key is read from stdin)");
  desc.add_options()("help,h", "show this help")(
      "kubeconfig", po::value(&kubeconfig)->default_value(std::getenv("KUBECONFIG") ? std::getenv("KUBECONFIG") : ""),
      "kubeconfig file")("operator-namespace", po::value(&op_namespace)->default_value(op_namespace),
                         "namespace of the pepper Secret")(
      "namespace,n", po::value(&target.namespace_name)->required(), "target namespace")(
      "pod", po::value(&target.pod)->default_value(""), "target pod (its owner is resolved)")(
      "container", po::value(&target.container)->default_value(""), "target container")(
      "action", po::value(&target.action)->default_value("log"), "action, e.g. log, metrics");
  try {
    po::variables_map vm;
    po::store(po::command_line_parser(argc + 1, argv - 1).options(desc).run(), vm);
    if (vm.count("help")) {
      std::cout << "Usage: echo \"$KEY\" | keyward check -n NAMESPACE [--pod P] [--container C]\n\n"
                << desc;
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "keyward check: " << e.what() << "\n";
    return 2;
  }
  std::string key;
  std::getline(std::cin, key);
  while (!key.empty() && (key.back() == '\r' || key.back() == ' ')) key.pop_back();

  std::string error;
  auto config = kubeconfig.empty() ? InClusterConfig(&error) : LoadKubeconfig(kubeconfig, &error);
  if (!config) {
    std::cerr << "keyward check: " << error << "\n";
    return 2;
  }
  HttpKubeClient kube(*config, 20, 40);
  auto pepper = LoadPepper(kube, op_namespace, pepper_secret, &error);
  if (!pepper) {
    std::cerr << "keyward check: " << error << "\n";
    return 2;
  }
  KeyIndex index(*pepper);
  IndexAllApiKeys(kube, &index, &error);
  if (!error.empty()) {
    std::cerr << "keyward check: " << error << "\n";
    return 2;
  }
  TimePoint now = Clock::now();
  LookupResult found = index.Lookup(key, now);
  Decision decision;
  switch (found.status) {
    case LookupStatus::kMalformed: decision.reason = KeyFormatErrorString(found.format_error); break;
    case LookupStatus::kUnknown: decision.reason = "unknown key"; break;
    case LookupStatus::kDisabled: decision.reason = "key is disabled"; break;
    case LookupStatus::kExpired: decision.reason = "key expired"; break;
    case LookupStatus::kFound: {
      KubeStatus resolved = ResolveOwner(kube, &target);
      if (!resolved.ok() && !resolved.NotFound()) {
        std::cerr << "keyward check: resolving pod owner: " << resolved.String() << "\n";
        return 2;
      }
      decision = Decide(found.policy->policy, target, now);
      break;
    }
  }
  web::json::value out;
  out["allowed"] = web::json::value::boolean(decision.allowed);
  out["reason"] = web::json::value::string(decision.reason);
  if (found.policy) {
    out["apiKey"]["namespace"] = web::json::value::string(found.policy->ref.namespace_name);
    out["apiKey"]["name"] = web::json::value::string(found.policy->ref.name);
  }
  if (decision.scope) out["scope"] = web::json::value::string(ScopeName(*decision.scope));
  if (decision.filter) out["filter"] = web::json::value::string(*decision.filter);
  std::cout << out.serialize() << "\n";
  return decision.allowed ? 0 : 1;
}

}  // namespace keyward
