#include "cmd/reveal_command.h"

#include <openssl/crypto.h>

#include <iostream>
#include <string>

#include "cmd/cli_common.h"
#include "cmd/keyward_endpoint.h"
#include "kube/credentials.h"
#include "kube/json_fields.h"

namespace keyward {

namespace po = boost::program_options;

namespace {

int Fail(int code, const std::string& message) {
  std::cerr << "error: " << message << "\n";
  return code;
}

// Prints keyward's 200 answer: the key alone, or the JSON as it came.
int PrintRevealed(const std::string& body, const std::string& output) {
  if (output == "json") {
    std::cout << body << std::endl;
    return 0;
  }
  try {
    web::json::value v = web::json::value::parse(body);
    std::string key = JsonStringOr(v, {"key"});
    std::cout << key << std::endl;
    OPENSSL_cleanse(key.data(), key.size());
    if (v.has_field("key") && v.at("key").is_string()) {
      std::string& held = const_cast<std::string&>(v.at("key").as_string());
      OPENSSL_cleanse(held.data(), held.size());
    }
    return 0;
  } catch (const web::json::json_exception&) {
    return Fail(2, "keyward's answer was not JSON");
  }
}

}  // namespace

int RunRevealCommand(int argc, char** argv) {
  KubeconfigFlags conn;
  EndpointFlags endpoint;
  std::string target, output = "key";
  po::options_description desc(
      "keyward reveal [-n NAMESPACE] NAME | NAMESPACE/NAME [flags]\n"
      "Prints a volatile ApiKey's key, once: the replica that minted it answers, and only the\n"
      "first time. Asked with your own Kubernetes token (your kubeconfig's token or exec plugin;\n"
      "a client certificate cannot be checked by keyward), which needs get on apikeys/reveal\n"
      "(the aggregated admin role has it). Permanent keys are in their Secret instead.\n"
      "Exit codes: 0 revealed, 1 refused (revealed already, not allowed, not held), 2 bad usage\n"
      "or keyward unreachable");
  desc.add_options()("help,h", "show this help")
    ("apikey", po::value(&target)->required(), "the ApiKey: NAME (in -n) or NAMESPACE/NAME")
    ("output,o", po::value(&output)->default_value(output), "key (the key alone, one line) or json");
  AddConnectionFlags(&desc, &conn);
  AddEndpointFlags(&desc, &endpoint);
  po::positional_options_description positional;
  positional.add("apikey", 1);
  po::variables_map vm;
  if (auto code = ParseCli("reveal", desc, positional, argc, argv, &vm)) return *code;
  if (output != "key" && output != "json") return Fail(2, "-o must be key or json");
  auto client = Connect(conn);
  if (!client.ok()) return Fail(2, client.error());

  const auto slash = target.find('/');
  const std::string ns = slash == std::string::npos ? client->ns : target.substr(0, slash);
  const std::string name = slash == std::string::npos ? target : target.substr(slash + 1);
  if (Status named = CheckObjectName(ns, name); !named.ok()) return Fail(2, "reveal: " + named.message());

  Result<Credential> credential = MakeCredentialSource(client->config)->Get();
  if (!credential.ok()) return Fail(2, credential.error());
  if (credential->token.empty()) {
    return Fail(2, "your kubeconfig's user has no bearer token (a client certificate cannot be "
                   "checked by keyward's TokenReview): use a context with a token or exec plugin");
  }
  Result<KeywardEndpoint> at = FindKeyward(client->kube.get(), endpoint);
  if (!at.ok()) return Fail(2, at.error());
  Result<EndpointAnswer> answer =
      CallKeyward(*at, "GET", "/v1/reveal/" + ns + "/" + name,
                  {{"Authorization", "Bearer " + credential->token}}, "");
  OPENSSL_cleanse(credential->token.data(), credential->token.size());
  if (!answer.ok()) return Fail(2, answer.error());
  const std::string ref = ns + "/" + name;
  if (answer->code == 410) {
    return Fail(1, "the key of ApiKey " + ref + " was revealed already, and keyward shows a key only "
                   "once: run keyward rotate " + ref + " to mint a new one, then reveal that");
  }
  if (answer->code != 200) return Fail(1, "reveal " + ref + " (" + at->found_by + "): " + AnswerMessage(*answer));
  int code = PrintRevealed(answer->body, output);
  OPENSSL_cleanse(answer->body.data(), answer->body.size());
  return code;
}

}  // namespace keyward
