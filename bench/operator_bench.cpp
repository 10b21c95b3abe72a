// Operator throughput: N ApiKeys created while keyward is stopped, then the
// time from starting keyward until all are Active, against a baseline run in
// the same invocation: a direct client issuing exactly the writes the
// outcome needs (N Secret creates + N status patches) with the same QPS,
// burst and concurrency. Prints both and the ratio (target <= 1.3).
//
// Usage: operator_bench --kubeconfig F --keyward BIN [--keys 1000]
//        [--qps 50] [--burst 100] [--workers 4]
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "base/base64.h"
#include "kube/http_kube_client.h"
#include "keys/key_format.h"
#include "kube/kube_config.h"
#include "kube/object_store.h"
#include "kube/watcher.h"

using namespace keyward;
using web::json::value;
using Steady = std::chrono::steady_clock;

namespace {

struct Flags {
  std::string kubeconfig, keyward;
  int keys = 1000, burst = 100, workers = 4;
  double qps = 50;
};

value ApiKeyObject(const std::string& ns, const std::string& name) {
  value o;
  o["apiVersion"] = value::string("keyward.io/v1alpha1");
  o["kind"] = value::string("ApiKey");
  o["metadata"]["name"] = value::string(name);
  o["metadata"]["namespace"] = value::string(ns);
  o["spec"]["description"] = value::string("benchmark key");
  o["spec"]["type"] = value::string("permanent");
  value rule;
  rule["scope"] = value::string("namespace");
  rule["namespaces"] = value::array({value::string("production")});
  o["spec"]["access"] = value::array({rule});
  return o;
}

std::string Name(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "bench-%04d", i);
  return buf;
}

// Runs |fn(i)| for i in [0, n) on |threads| threads.
template <typename Fn>
void Parallel(int n, int threads, Fn fn) {
  std::atomic<int> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i = next++; i < n; i = next++) fn(i);
    });
  }
  for (auto& th : pool) th.join();
}

void Check(const KubeResult& r, const char* what) {
  if (!r.status.ok() && !r.status.AlreadyExists()) {
    std::fprintf(stderr, "operator_bench: %s: %s\n", what, r.status.String().c_str());
    std::exit(1);
  }
}

void CreateNamespace(KubeClient& kube, const std::string& ns) {
  value o;
  o["apiVersion"] = value::string("v1");
  o["kind"] = value::string("Namespace");
  o["metadata"]["name"] = value::string(ns);
  Check(kube.Create({"v1", "namespaces", "", "", ""}, o), "create namespace");
}

void CreateApiKeys(KubeClient& kube, const std::string& ns, int n) {
  Parallel(n, 8, [&](int i) {
    Check(kube.Create({"keyward.io/v1alpha1", "apikeys", ns, "", ""}, ApiKeyObject(ns, Name(i))),
          "create ApiKey");
  });
}

// Watches the ApiKeys of one namespace and counts the Active ones. Both
// phases run one, so observing costs the machine the same in each.
class ActiveCounter {
 public:
  ActiveCounter(KubeClient& client, const std::string& ns)
      : watcher_(client, {"keyward.io/v1alpha1", "apikeys", ns, "", ""}, store_, {}) {
    watcher_.Start();
  }
  ~ActiveCounter() { watcher_.Stop(); }
  int Active() const {
    int n = 0;
    for (const auto& o : store_.List()) {
      if (o->has_field("status") && o->at("status").has_field("phase") &&
          o->at("status").at("phase").as_string() == "Active") {
        ++n;
      }
    }
    return n;
  }
  void WaitFor(int n) const {
    while (!store_.ready() || Active() < n) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }

 private:
  ObjectStore store_;
  Watcher watcher_;
};

// The baseline: exactly the writes keyward's outcome consists of.
double DirectClient(const KubeConfig& cfg, const Flags& f, const std::string& ns,
                    KubeClient& observer) {
  HttpKubeClient kube(cfg, f.qps, f.burst);
  ActiveCounter counter(observer, ns);
  auto start = Steady::now();
  Parallel(f.keys, f.workers, [&](int i) {
    std::string key = MintKey();
    value secret;
    secret["apiVersion"] = value::string("v1");
    secret["kind"] = value::string("Secret");
    secret["type"] = value::string("keyward.io/api-key");
    secret["metadata"]["name"] = value::string(Name(i) + "-apikey");
    secret["metadata"]["namespace"] = value::string(ns);
    secret["data"]["key"] = value::string(Base64Encode(key));
    Check(kube.Create({"v1", "secrets", ns, "", ""}, secret), "create Secret");
    value patch;
    patch["status"]["phase"] = value::string("Active");
    patch["status"]["keyHint"] = value::string(KeyHint(key));
    Check(kube.MergePatch({"keyward.io/v1alpha1", "apikeys", ns, Name(i), "status"}, patch),
          "patch status");
  });
  counter.WaitFor(f.keys);
  return std::chrono::duration<double>(Steady::now() - start).count();
}

double Keyward(const KubeConfig& cfg, const Flags& f, const std::string& ns, KubeClient& observer) {
  std::string qps = std::to_string(f.qps), burst = std::to_string(f.burst),
              workers = std::to_string(f.workers);
  auto start = Steady::now();
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = open("/dev/null", 1);
    dup2(devnull, 1);
    dup2(devnull, 2);
    execl(f.keyward.c_str(), f.keyward.c_str(), "run", "--kubeconfig", f.kubeconfig.c_str(),
          "--namespace", "keyward-system", "--kube-api-qps", qps.c_str(), "--kube-api-burst",
          burst.c_str(), "--workers", workers.c_str(), "--watch-namespaces", ns.c_str(),
          "--log-level", "warn", static_cast<char*>(nullptr));
    _exit(127);
  }
  (void)cfg;
  ActiveCounter counter(observer, ns);
  while (counter.Active() < f.keys) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      std::fprintf(stderr, "operator_bench: keyward exited early\n");
      std::exit(1);
    }
  }
  double seconds = std::chrono::duration<double>(Steady::now() - start).count();
  kill(pid, SIGTERM);
  struct rusage usage {};
  wait4(pid, nullptr, 0, &usage);
  std::printf("keyward CPU: %.2f s user, %.2f s system\n",
              usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6,
              usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6);
  return seconds;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--kubeconfig") f.kubeconfig = v;
    else if (k == "--keyward") f.keyward = v;
    else if (k == "--keys") f.keys = std::stoi(v);
    else if (k == "--qps") f.qps = std::stod(v);
    else if (k == "--burst") f.burst = std::stoi(v);
    else if (k == "--workers") f.workers = std::stoi(v);
  }
  if (f.kubeconfig.empty() || f.keyward.empty()) {
    std::fprintf(stderr, "usage: operator_bench --kubeconfig F --keyward BIN [--keys N] [--qps Q] "
                         "[--burst B] [--workers W]\n");
    return 2;
  }
  auto cfg = LoadKubeconfig(f.kubeconfig);
  if (!cfg.ok()) {
    std::fprintf(stderr, "operator_bench: %s\n", cfg.error().c_str());
    return 2;
  }
  HttpKubeClient setup(*cfg, 1000, 1000);  // untimed setup: not throttled
  std::string run = std::to_string(time(nullptr));
  std::string ns_direct = "bench-direct-" + run, ns_keyward = "bench-keyward-" + run;
  CreateNamespace(setup, "keyward-system");
  CreateNamespace(setup, ns_direct);
  CreateNamespace(setup, ns_keyward);
  std::printf("creating %d ApiKeys in each of %s and %s (untimed)\n", f.keys, ns_direct.c_str(),
              ns_keyward.c_str());
  CreateApiKeys(setup, ns_direct, f.keys);
  CreateApiKeys(setup, ns_keyward, f.keys);

  std::printf("qps=%.0f burst=%d workers=%d keys=%d\n", f.qps, f.burst, f.workers, f.keys);
  double direct = DirectClient(*cfg, f, ns_direct, setup);
  std::printf("direct client (%d Secret creates + %d status patches): %.2f s (%.0f writes/s)\n",
              f.keys, f.keys, direct, 2 * f.keys / direct);
  double keyward = Keyward(*cfg, f, ns_keyward, setup);
  std::printf("keyward (start to all %d Active):                      %.2f s\n", f.keys, keyward);
  double ratio = keyward / direct;
  std::printf("ratio keyward/direct: %.2f (target <= 1.30: %s)\n", ratio,
              ratio <= 1.3 ? "met" : "MISSED");
  for (const auto& ns : {ns_direct, ns_keyward}) {
    setup.Delete({"v1", "namespaces", "", ns, ""}, {});
  }
  return 0;
}
