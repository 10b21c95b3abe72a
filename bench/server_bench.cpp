// keyward's HTTPS server as the wrk benchmark sees it: the real Listener,
// routes and decision service over an index of N keys (default 100,000),
// with pods and owners in memory instead of a watch, and /authenticate
// (TokenReview). No API server needed.
//
//   server_bench --cert F --key K [--port P] [--keys N] [--threads T] [--key-out FILE]
// Serves until SIGTERM/SIGINT; writes one valid key (in scope for
// namespace team-42, pod web-7, container nginx) to --key-out.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "check/check_service.h"
#include "server/listener.h"
#include "server/routes.h"
#include "webhooks/token_review.h"

namespace keyward {
namespace {

struct MemoryOwners : OwnerResolver {
  OwnerLookup Resolve(const std::string&, const std::string&) override {
    OwnerLookup r;
    r.owner = {SetType::kReplica, "web-7d9f", "web"};
    return r;
  }
};

std::string FillIndex(KeyIndex& index, int keys) {
  std::string picked;
  for (int i = 0; i < keys; ++i) {
    auto p = std::make_shared<IndexedPolicy>();
    p->ref = {"team-" + std::to_string(i % 100), "key-" + std::to_string(i)};
    AccessRule r;
    r.scope = Scope::kContainer;
    r.namespaces = {"prod", "team-*"};
    r.pods = {"web-*"};
    r.containers = {"app", "nginx"};
    p->policy.rules = {r};
    index.SetPolicy(p);
    std::string key = MintKey();
    index.AddKey(p->ref, index.hasher().Hash(key));
    if (i == keys / 2) picked = key;
  }
  return picked;
}

const char* Arg(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  }
  return fallback;
}

int Main(int argc, char** argv) {
  const char* cert = Arg(argc, argv, "--cert", nullptr);
  const char* key_file = Arg(argc, argv, "--key", nullptr);
  if (!cert || !key_file) {
    std::fprintf(stderr, "usage: server_bench --cert F --key K [--port P] [--keys N] [--threads T] [--key-out FILE]\n");
    return 2;
  }
  KeyIndex index(NewPepper());
  std::string key = FillIndex(index, std::atoi(Arg(argc, argv, "--keys", "100000")));
  MemoryOwners owners;
  QuotaBook quotas;
  CheckService service(index, owners, quotas);
  Metrics metrics;
  TlsFiles tls(cert, key_file);
  if (Status s = tls.Load(); !s.ok()) {
    std::fprintf(stderr, "server_bench: %s\n", s.message().c_str());
    return 1;
  }
  ListenerOptions o;
  o.address = "127.0.0.1";
  o.port = static_cast<std::uint16_t>(std::atoi(Arg(argc, argv, "--port", "0")));
  o.threads = std::atoi(Arg(argc, argv, "--threads", "2"));
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  CheckEndpointsEnv env{&service, &metrics};
  HttpHandler checks = SecureRoutes(env);
  // /authenticate as `keyward run` serves it, for the TokenReview comparison.
  HttpHandler routes = [env, checks](const HttpRequest& request) {
    if (request.path == "/authenticate") return HandleTokenReview(env, request);
    return checks(request);
  };
  Listener listener(o, routes, &tls);
  if (Status s = listener.Start(); !s.ok()) {
    std::fprintf(stderr, "server_bench: %s\n", s.message().c_str());
    return 1;
  }
  std::ofstream(Arg(argc, argv, "--key-out", "/dev/null")) << key << "\n";
  std::printf("%u\n", listener.port());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&set, &sig);
  listener.Stop();
  return 0;
}

}  // namespace
}  // namespace keyward

int main(int argc, char** argv) { return keyward::Main(argc, argv); }
