#include "cmd/check_command.h"

#include <boost/program_options.hpp>
#include <openssl/crypto.h>
#include <iostream>
#include <map>
#include <string>

#include "api/apikey.h"
#include "api/apikey_policy.h"
#include "api/pepper.h"
#include "check/check_service.h"
#include "cmd/keyward_endpoint.h"
#include "cmd/run_options.h"
#include "kube/http_kube_client.h"
#include "kube/json_fields.h"
#include "kube/kube_config.h"

namespace keyward {
namespace po = boost::program_options;

namespace {

struct CheckOptions {
  KubeconfigFlags kube;  // -n is the target's namespace here, not the connection's
  EndpointFlags endpoint;  // --url: ask a running keyward; its --operator-namespace
  std::string pepper_secret = kDefaultPepperSecret;
  AccessTarget target;
};

// Builds the index of every permanent key from ApiKey status, as a follower
// replica does (rotated-out keys stay inside their overlap). Volatile keys
// live only in the operator's memory.
// Every template, by "namespace/name" (cluster ones by "name"); none of a
// kind that cannot be listed.
std::map<std::string, ApiKeyTemplate> AllTemplates(KubeClient& kube) {
  std::map<std::string, ApiKeyTemplate> out;
  for (const char* plural : {"apikeytemplates", "clusterapikeytemplates"}) {
    KubeResult list = kube.List({kApiVersion, plural, "", "", ""}, ListOptions{});
    if (!list.status.ok()) continue;
    for (const auto& item : JsonArray(list.body, {"items"})) {
      FieldErrors errors;
      ApiKeyTemplate t = ParseApiKeyTemplate(item, &errors);
      if (!errors.empty()) continue;
      const std::string& ns = t.metadata.namespace_name;
      out[ns.empty() ? t.metadata.name : ns + "/" + t.metadata.name] = t;
    }
  }
  return out;
}

Status IndexAllApiKeys(KubeClient& kube, KeyIndex* index, TimePoint now) {
  ListOptions options;
  ResourcePath all{kApiVersion, "apikeys", "", "", ""};
  const std::map<std::string, ApiKeyTemplate> templates = AllTemplates(kube);
  do {
    KubeResult page = kube.List(all, options);
    if (!page.status.ok()) return Status::Error("listing ApiKeys: " + page.status.String());
    for (const auto& item : JsonArray(page.body, {"items"})) {
      FieldErrors ignored;
      ApiKey key = ParseApiKey(item, &ignored);
      const ApiKeyTemplateSpec* tpl = nullptr;
      if (const auto& ref = key.spec.template_ref) {
        auto it = templates.find(ref->cluster() ? ref->name : key.metadata.namespace_name + "/" + ref->name);
        if (it == templates.end()) continue;  // without its template the key allows nothing
        tpl = &it->second.spec;
      }
      IndexFromStatus(key, index, now, tpl);
    }
    options.continue_token = JsonStringOr(page.body, {"metadata", "continue"});
  } while (!options.continue_token.empty());
  return Status();
}

web::json::value DecisionJson(const CheckDecision& d) {
  using web::json::value;
  value out;
  out["allowed"] = value::boolean(d.allowed);
  out["reason"] = value::string(CheckReasonName(d.reason));
  out["message"] = value::string(d.message);
  if (d.api_key) {
    out["apiKey"]["namespace"] = value::string(d.api_key->namespace_name);
    out["apiKey"]["name"] = value::string(d.api_key->name);
  }
  if (d.scope) out["scope"] = value::string(ScopeName(*d.scope));
  if (d.filter) out["filter"] = value::string(*d.filter);
  return out;
}

// Parses the flags; returns an exit code when the command should end now.
std::optional<int> ParseCheckFlags(int argc, char** argv, CheckOptions* o) {
  po::options_description desc(
      "keyward check -n NAMESPACE [--pod P] [--container C] [--action A] [--url URL] (the key is read from stdin)\n"
      "Decides whether a key may act on a target, two ways:\n"
      "- with --url, a running keyward decides (POST /v1/check): for anyone who holds the key and\n"
      "  can reach keyward's HTTPS port; it knows volatile keys, and the check counts as one\n"
      "  request against the key's quotas;\n"
      "- without --url, this command decides alone from the pepper Secret and every ApiKey: for\n"
      "  platform admins who may get secrets/" + std::string(kDefaultPepperSecret) + " in keyward's namespace and list\n"
      "  apikeys in every namespace; nothing is counted, and volatile keys (in keyward's memory\n"
      "  only) are unknown.\n"
      "Prints the decision as JSON. Exit codes: 0 allowed, 1 refused, 2 bad usage or keyward\n"
      "unreachable.\n\nFlags");
  // clang-format off
  desc.add_options()
    ("help,h", "show this help")
    ("kubeconfig", po::value(&o->kube.kubeconfig),
     "this kubeconfig file alone (default: $KUBECONFIG, else ~/.kube/config, else in-cluster)")
    ("context", po::value(&o->kube.context), "kubeconfig context (default: its current-context)")
    ("namespace,n", po::value(&o->target.namespace_name)->required(), "target namespace")
    ("pod", po::value(&o->target.pod)->default_value(""), "target pod (its owner is resolved)")
    ("container", po::value(&o->target.container)->default_value(""), "target container")
    ("action", po::value(&o->target.action)->default_value("log"), "action, e.g. log, metrics");
  // clang-format on
  AddEndpointFlags(&desc, &o->endpoint);
  try {
    po::variables_map vm;
    po::store(po::command_line_parser(argc + 1, argv - 1).options(desc).run(), vm);
    if (vm.count("help")) {
      std::cout << desc;
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "keyward check: " << e.what() << "\n";
    return 2;
  }
  return std::nullopt;
}

std::string ReadKey(std::istream& in) {
  std::string key;
  std::getline(in, key);
  while (!key.empty() && (key.back() == '\r' || key.back() == ' ')) key.pop_back();
  return key;
}

int Fail(const std::string& message) {
  std::cerr << "keyward check: " << message << "\n";
  return 2;
}

// --url: POST /v1/check to a running keyward; its answer is printed as is.
int CheckThroughKeyward(const CheckOptions& o, std::string key) {
  std::unique_ptr<HttpKubeClient> kube;
  if (o.endpoint.ca_file.empty()) {
    // The CA from the cluster when the user can read it; else the system's roots.
    if (Result<KubeConfig> config = LoadClientConfig(o.kube); config.ok()) {
      kube = std::make_unique<HttpKubeClient>(*config, 20, 40);
    }
  }
  Result<KeywardEndpoint> at = FindKeyward(kube.get(), o.endpoint);
  // A key holder may not read the CA Secret: then the system's roots.
  if (!at.ok() && kube) at = FindKeyward(nullptr, o.endpoint);
  if (!at.ok()) return Fail(at.error());
  using web::json::value;
  value body;
  body["key"] = value::string(key);
  OPENSSL_cleanse(key.data(), key.size());
  body["namespace"] = value::string(o.target.namespace_name);
  if (!o.target.pod.empty()) body["pod"] = value::string(o.target.pod);
  if (!o.target.container.empty()) body["container"] = value::string(o.target.container);
  body["action"] = value::string(o.target.action);
  std::string text = body.serialize();
  Result<EndpointAnswer> answer = CallKeyward(*at, "POST", "/v1/check", {}, text);
  OPENSSL_cleanse(text.data(), text.size());
  if (!answer.ok()) return Fail(answer.error());
  if (answer->code != 200) return Fail("keyward (" + at->found_by + ") answered: " + AnswerMessage(*answer));
  try {
    value decision = value::parse(answer->body);
    std::cout << answer->body << "\n";
    return JsonBool(decision, {"allowed"}).value_or(false) ? 0 : 1;
  } catch (const web::json::json_exception&) {
    return Fail("keyward's answer was not JSON");
  }
}

}  // namespace

int RunCheckCommand(int argc, char** argv) {
  CheckOptions o;
  if (auto code = ParseCheckFlags(argc, argv, &o)) return *code;
  std::string key = ReadKey(std::cin);
  if (!o.endpoint.url.empty()) return CheckThroughKeyward(o, std::move(key));
  Result<KubeConfig> config = LoadClientConfig(o.kube);
  if (!config.ok()) return Fail(config.error());
  HttpKubeClient kube(*config, 20, 40);
  Result<Peppers> pepper = LoadPepper(kube, o.endpoint.operator_namespace, o.pepper_secret);
  if (!pepper.ok()) return Fail(pepper.error());
  KeyIndex index(pepper->current, pepper->previous);
  const TimePoint now = Clock::now();
  if (Status listed = IndexAllApiKeys(kube, &index, now); !listed.ok()) return Fail(listed.message());

  ApiOwnerResolver owners(kube);
  QuotaBook quotas;
  CheckService service(index, owners, quotas);
  CheckDecision decision = service.Check(key, o.target, now);
  if (decision.reason == CheckReason::kUnavailable) return Fail(decision.message);
  std::cout << DecisionJson(decision).serialize() << "\n";
  return decision.allowed ? 0 : 1;
}

}  // namespace keyward
