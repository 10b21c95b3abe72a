#include "run_command.h"

#include <openssl/crypto.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "apikey_controller.h"
#include "controller_runner.h"
#include "event_recorder.h"
#include "http_kube_client.h"
#include "key_index.h"
#include "kube_config.h"
#include "leader_election.h"
#include "logging.h"
#include "object_store.h"
#include "pepper.h"
#include "run_options.h"
#include "version.h"
#include "volatile_key_store.h"
#include "watcher.h"
#include "work_queue.h"

namespace keyward {
namespace {

// Why the main loop ended.
struct Shutdown {
  std::mutex mu;
  std::condition_variable cv;
  int exit_code = -1;
  void Request(int code) {
    std::lock_guard lock(mu);
    if (exit_code < 0) exit_code = code;
    cv.notify_all();
  }
  bool Requested() {
    std::lock_guard lock(mu);
    return exit_code >= 0;
  }
  int Wait() {
    std::unique_lock lock(mu);
    cv.wait(lock, [this] { return exit_code >= 0; });
    return exit_code;
  }
  bool WaitFor(std::chrono::milliseconds d) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, d, [this] { return exit_code >= 0; });
  }
};

// SIGTERM/SIGINT are blocked in every thread and taken by one sigwait thread.
std::thread StartSignalThread(Shutdown* shutdown) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread t([set, shutdown] {
    int sig = 0;
    sigwait(&set, &sig);
    spdlog::info("received signal {}; shutting down", sig);
    shutdown->Request(0);
  });
  t.detach();
  return t;
}

std::optional<KubeConfig> LoadConfig(const RunOptions& o, std::string* error) {
  if (o.kubeconfig.empty()) return InClusterConfig(error);
  return LoadKubeconfig(o.kubeconfig, error);
}

int RunOperator(const RunOptions& o) {
  Shutdown shutdown;
  StartSignalThread(&shutdown);
  spdlog::info("keyward {} starting: identity={} namespace={} workers={} leader-elect={}",
               kVersion, o.identity, o.operator_namespace, o.workers, o.leader_elect);

  std::string error;
  std::optional<KubeConfig> config = LoadConfig(o, &error);
  if (!config) {
    spdlog::error("kubernetes config: {}", error);
    return 1;
  }
  HttpKubeClient kube(*config, o.kube_qps, o.kube_burst);
  // Events get their own budget so they never slow reconciles down.
  HttpKubeClient events_kube(*config, 10, 50);

  // The pepper must exist before any key can be hashed; keep trying while
  // the API server is unreachable.
  std::optional<std::string> pepper;
  for (int attempt = 0; !pepper; ++attempt) {
    pepper = LoadOrCreatePepper(kube, o.operator_namespace, o.pepper_secret, &error);
    if (pepper) break;
    spdlog::error("pepper: {}", error);
    if (shutdown.WaitFor(std::chrono::milliseconds(std::min(500 << std::min(attempt, 6), 30000)))) {
      return shutdown.Wait();
    }
  }
  KeyIndex index(*pepper);
  OPENSSL_cleanse(pepper->data(), pepper->size());
  VolatileKeyStore volatile_keys;
  KubeEventRecorder events(events_kube, "keyward", o.identity);
  WorkQueue queue;

  std::unique_ptr<LeaderElector> elector;
  ControllerEnv env;
  env.kube = &kube;
  env.index = &index;
  env.volatile_keys = &volatile_keys;
  env.events = &events;
  env.secret_check_interval = o.secret_check_interval;

  // One watch (and store) per watched namespace, or one for all.
  std::vector<std::string> scopes = o.watch_namespaces;
  if (scopes.empty()) scopes.push_back("");
  std::vector<std::unique_ptr<ObjectStore>> stores;
  for (std::size_t i = 0; i < scopes.size(); ++i) stores.push_back(std::make_unique<ObjectStore>());
  env.get_apikey = [&](const std::string& key) -> ObjectPtr {
    for (auto& s : stores) {
      if (ObjectPtr o = s->Get(key)) return o;
    }
    return nullptr;
  };
  auto enqueue_all = [&] {
    for (auto& s : stores) {
      for (const auto& key : s->Keys()) queue.Add(key);
    }
  };
  if (o.leader_elect) {
    LeaseConfig lease{o.operator_namespace, o.lease_name, o.identity, o.lease_duration,
                      o.renew_deadline, o.retry_period};
    elector = std::make_unique<LeaderElector>(
        kube, lease, [&] { enqueue_all(); },
        [&] {
          // Writing stopped the moment IsLeader() turned false; exit so the
          // pod restarts clean as a candidate.
          if (!shutdown.Requested()) shutdown.Request(1);
        });
    env.is_leader = [e = elector.get()] { return e->IsLeader(); };
  }
  ApiKeyController controller(env);

  std::vector<std::unique_ptr<Watcher>> watchers;
  for (std::size_t i = 0; i < scopes.size(); ++i) {
    WatcherHandler handler;
    handler.on_apply = [&](const ObjectPtr& obj) { queue.Add(ObjectKey(*obj)); };
    handler.on_delete = [&](const std::string& key) {
      auto slash = key.find('/');
      controller.Forget({key.substr(0, slash), key.substr(slash + 1)});
      queue.Add(key);
    };
    watchers.push_back(std::make_unique<Watcher>(
        kube, ResourcePath{kApiVersion, "apikeys", scopes[i], "", ""}, *stores[i], handler));
    watchers.back()->Start();
  }

  // Like kube-runtime: reconcile only once the caches hold the first list.
  ControllerRunner runner(queue, [&](const std::string& key) { return controller.Reconcile(key); },
                          o.workers);
  while (!shutdown.Requested()) {
    bool ready = true;
    for (auto& s : stores) ready = ready && s->ready();
    if (ready) break;
    shutdown.WaitFor(std::chrono::milliseconds(50));
  }
  if (!shutdown.Requested()) {
    spdlog::info("caches synced; starting {} workers", o.workers);
    runner.Start();
    if (elector) elector->Start();
  }

  int code = shutdown.Wait();
  if (elector) elector->Stop();  // releases the Lease for a fast handover
  runner.Stop();
  for (auto& w : watchers) w->Stop();
  events.Flush(std::chrono::seconds(2));  // best effort; the rest is dropped
  spdlog::info("keyward stopped (exit {})", code);
  return code;
}

}  // namespace

int RunOperatorCommand(int argc, char** argv) {
  RunOptionsParse parsed = ParseRunOptions(argc + 1, argv - 1);
  if (!parsed.help.empty()) {
    std::cout << parsed.help;
    return 0;
  }
  if (!parsed.options) {
    std::cerr << "keyward run: " << parsed.error << "\n(see keyward run --help)\n";
    return 2;
  }
  SetupLogging(parsed.options->log_level, parsed.options->log_format);
  for (const std::string& flag : parsed.options->inert_flags) {
    spdlog::warn("{} has no effect yet: this release serves no HTTPS endpoints, webhooks or metrics",
                 flag);
  }
  return RunOperator(*parsed.options);
}

}  // namespace keyward
