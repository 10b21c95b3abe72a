#include "cmd/run_command.h"

#include <malloc.h>
#include <openssl/crypto.h>
#include <utility>  // before pplx/threadpool.h: Boost 1.74 awaitable.hpp needs it
#include <pplx/threadpool.h>
#include <signal.h>
#include <sys/resource.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <condition_variable>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "api/apikey.h"
#include "api/apikey_policy.h"
#include "api/pepper.h"
#include "base/backoff.h"
#include "base/logging.h"
#include "base/secure_memory.h"
#include "cmd/run_options.h"
#include "cmd/startup_index.h"
#include "cmd/version.h"
#include "controllers/apikey_controller.h"
#include "controllers/request_controller.h"
#include "cmd/template_watches.h"
#include "keys/key_index.h"
#include "keys/volatile_key_store.h"
#include "kube/event_recorder.h"
#include "kube/http_kube_client.h"
#include "kube/kube_config.h"
#include "kube/manager.h"
#include "cmd/serving.h"

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

Result<KubeConfig> LoadConfig(const RunOptions& o) {
  KubeconfigFlags flags;
  flags.kubeconfig = o.kubeconfig;
  flags.context = o.kube_context;
  return LoadClientConfig(flags);
}

// Which peppers this process holds, by id (never the pepper itself).
void LogPeppers(const Peppers& peppers) {
  if (peppers.previous.empty()) {
    spdlog::info("pepper '{}'", PepperId(peppers.current));
  } else {
    spdlog::info("pepper '{}'; previous pepper '{}' still accepted", PepperId(peppers.current),
                 PepperId(peppers.previous));
  }
}

// The pepper must exist before any key can be hashed; keep trying while the
// API server is unreachable. nullopt when shutdown was requested.
std::optional<Peppers> WaitForPepper(KubeClient& kube, const RunOptions& o, Shutdown* shutdown) {
  Backoff backoff(BackoffPolicy{std::chrono::milliseconds(500), std::chrono::seconds(30), 0.2});
  while (true) {
    Result<Peppers> pepper = LoadOrCreatePepper(kube, o.operator_namespace, o.pepper_secret);
    if (pepper.ok()) {
      LogPeppers(*pepper);
      return std::move(*pepper);
    }
    spdlog::error("pepper: {}", pepper.error());
    if (shutdown->WaitFor(backoff.Next())) return std::nullopt;
  }
}

ManagerConfig ManagerConfigOf(const RunOptions& o, KubeClient* lease_client) {
  ManagerConfig config{kApiVersion, "apikeys", o.watch_namespaces, o.workers, std::nullopt};
  // ApiKeys are read once per change: kept as text packed against typical
  // ApiKeys (~150 bytes each; a JSON tree takes ~5.5 KB), counted for the
  // gauges by label.
  config.store.compact = true;
  config.store.dictionary = TypicalApiKeysText();
  config.store.label_fields = ApiKeyGaugeFields();
  config.store.label = ApiKeyGaugeLabel;
  if (o.leader_elect) {
    config.lease = LeaseConfig{o.operator_namespace, o.lease_name,     o.identity,
                               o.lease_duration,     o.renew_deadline, o.retry_period,
                               /*peer_address=*/""};
    config.lease_client = lease_client;
    if (o.peer_port != 0) config.lease->peer_address = o.peer_address;
  }
  return config;
}

// The elector's own client: renews never queue behind reconciles, and a
// call that makes no progress for the renew deadline fails.
std::chrono::seconds LeaseCallTimeout(const RunOptions& o) {
  return std::max(std::chrono::seconds(1),
                  std::chrono::duration_cast<std::chrono::seconds>(o.renew_deadline));
}

// One API client per job, each with its own rate limit and connections, so
// none waits behind another: the controller's reads and writes, events,
// usage writes, the elector's renews (timeout: the renew deadline), the
// server's reads (pods and owners), and the TokenReviews and
// SubjectAccessReviews of reveal and admission, on the listener's blocking
// pool (every replica makes these: never write-gated).
struct ApiClients {
  ApiClients(const KubeConfig& c, const RunOptions& o)
      : controller(c, o.kube_qps, o.kube_burst),
        events(c, 10, 50),
        usage(c, 20, 50),
        lease(c, 5, 10, LeaseCallTimeout(o)),
        serving(c, o.kube_qps, o.kube_burst),
        reviews(c, o.kube_qps, o.kube_burst),
        secret_checks(std::max(1.0, o.kube_qps / 4), std::max(1, o.kube_burst / 4)) {
    // Audit logs tell replicas apart; field managers stay "keyward".
    const std::string agent = std::string("keyward/") + kVersion + " (" + o.identity + ")";
    for (HttpKubeClient* client : {&controller, &events, &usage, &lease, &serving, &reviews}) {
      client->SetUserAgent(agent);
    }
  }
  // Every write of the controller, its events and the usage flusher is
  // checked against leadership when it is sent, not only when its
  // reconcile or batch began.
  void GateWrites(const std::function<bool()>& is_leader) {
    controller.SetWriteGate(is_leader);
    events.SetWriteGate(is_leader);
    usage.SetWriteGate(is_leader);
  }
  HttpKubeClient controller, events, usage, lease, serving, reviews;
  // Secret re-checks may use a quarter of the controller's budget at most.
  RateLimiter secret_checks;
};

ControllerEnv ControllerEnvFor(const RunOptions& o, ApiClients& clients, KeyIndex& index,
                               VolatileKeyStore& volatile_keys, KubeEventRecorder& events,
                               Manager& manager) {
  ControllerEnv env;
  env.kube = &clients.controller;
  env.index = &index;
  env.volatile_keys = &volatile_keys;
  env.events = &events;
  env.secret_check_interval = o.secret_check_interval;
  env.secret_checks = &clients.secret_checks;
  env.operator_namespace = o.operator_namespace;
  env.get_apikey = [&manager](const std::string& key) { return manager.Get(key); };
  env.is_leader = [&manager] { return manager.IsLeader(); };
  return env;
}

RequestControllerEnv RequestEnvFor(ApiClients& clients, const TemplateWatches& templates,
                                   KubeEventRecorder& events, Manager& manager) {
  RequestControllerEnv env;
  env.kube = &clients.controller;
  env.get_request = [&templates](const std::string& key) { return templates.GetRequest(key); };
  // A request may come right behind its template: ask the API server when
  // the cache does not hold it yet (template changes do not wake requests).
  env.templates = templates.LookupOrGet(clients.controller);
  env.events = &events;
  env.is_leader = [&manager] { return manager.IsLeader(); };
  return env;
}

// glibc gives each thread that allocates its own arena (up to 8 per core)
// and keeps what is freed there: with 10,000 ApiKeys, 30 MiB were live and
// 88 MiB more kept free in arenas of the threads that parsed list pages.
// One arena per core (at least two) keeps RSS near what is live; set
// before any thread starts.
void LimitMallocArenas() {
  mallopt(M_ARENA_MAX, static_cast<int>(std::max(2u, std::thread::hardware_concurrency())));
}

// cpprestsdk loads OpenSSL's default roots into each new connection's
// context before our callback replaces them with the cluster CA: ~140
// certificates parsed per connection, 13% of start-up CPU with 10,000
// ApiKeys. With a CA configured they are never used, so OpenSSL is pointed
// at no file (SSL_CERT_FILE, unless the user set it). Called before any
// request; the pool's idle threads do not read the environment.
void SkipSystemRootsWithClusterCa(const KubeConfig& config) {
  if (config.ca_pem.empty() || config.insecure_skip_tls_verify) return;
  setenv("SSL_CERT_FILE", "/dev/null", /*overwrite=*/0);
}

// cpprestsdk runs every request's I/O and continuations on a pool of 40
// threads by default; each hand-off may wake an idle one. Measured at start
// with 10,000 ApiKeys: most of keyward's CPU was the hypervisor's
// context-switch path under those wake-ups. Two per core (at least four:
// watches never hold one while idle) does the same work with fewer
// switches. Must run before the first request, and after the signal thread
// has blocked SIGTERM for every thread started later.
void SizeHttpThreadPool() {
  const char* forced = std::getenv("KEYWARD_HTTP_THREADS");
  std::size_t threads = forced ? std::max(1ul, std::strtoul(forced, nullptr, 10))
                               : std::max(4u, 2 * std::thread::hardware_concurrency());
  crossplat::threadpool::initialize_with_threads(threads);
}

ManagerHooks ApiKeyHooks(ApiKeyController& controller, Serving& serving, Shutdown& shutdown,
                         Manager& manager, TemplateWatches& templates, StartupIndex& startup) {
  ManagerHooks hooks;
  hooks.reconcile = [&controller, &serving](const std::string& key) {
    Action action = controller.Reconcile(key);
    serving.metrics().RecordReconcile(!action.failed());
    return action;
  };
  hooks.on_delete = [&controller, &serving](const std::string& key) {
    controller.Forget(ApiKeyRef::FromKey(key));
    serving.ForgetUsage(ApiKeyRef::FromKey(key));
  };
  // Writing stopped the moment IsLeader() turned false; exit so the pod
  // restarts clean as a candidate.
  hooks.on_lost_leadership = [&shutdown] { shutdown.Request(1); };
  // The request controller and the templates' status write as the ApiKeys'
  // leader: their pending work is picked up when this replica becomes it.
  hooks.on_started_leading = [&templates] {
    templates.EnqueueAllRequests();
    templates.EnqueueAllTemplates();
  };
  // Ready means every Active permanent key answers at once: indexed from
  // status while the list is read, the rest before the workers start.
  hooks.on_first_list_item = [&startup](const web::json::value& apikey) { startup.Listed(apikey); };
  hooks.on_synced = [&manager, &templates, &startup] { startup.Finish(manager, templates); };
  return hooks;
}

// Every connection, watch and log stream is a descriptor: the soft limit
// (often 1024) is raised to the hard one, so a burst of clients meets the
// listener's own connection cap (--max-connections), not EMFILE.
void RaiseOpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  const rlim_t was = limit.rlim_cur;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) == 0) {
    spdlog::info("open file limit raised from {} to {}", was, limit.rlim_cur);
  } else {
    spdlog::warn("open file limit stays at {}: setrlimit failed", was);
  }
}

int RunOperator(const RunOptions& o) {
  LimitMallocArenas();
  RaiseOpenFileLimit();
  Shutdown shutdown;
  StartSignalThread(&shutdown);
  // After the signal mask: the pool's threads start here and inherit it
  // (a pool thread with SIGTERM unblocked would take it and kill us).
  SizeHttpThreadPool();
  spdlog::info("keyward {} starting: identity={} namespace={} workers={} leader-elect={}",
               kVersion, o.identity, o.operator_namespace, o.workers, o.leader_elect);
  Result<KubeConfig> config = LoadConfig(o);
  if (!config.ok()) {
    spdlog::error("kubernetes config: {}", config.error());
    return 1;
  }
  SkipSystemRootsWithClusterCa(*config);
  ApiClients clients(*config, o);
  HttpKubeClient& kube = clients.controller;
  std::optional<Peppers> pepper = WaitForPepper(kube, o, &shutdown);
  if (!pepper) return shutdown.Wait();
  KeyIndex index(pepper->current, pepper->previous);
  pepper.reset();  // wiped
  StartupIndex startup(&index);  // before the Manager, whose threads call it
  VolatileKeyStore volatile_keys;
  KubeEventRecorder events(clients.events, "keyward", o.identity);

  Manager manager(kube, ManagerConfigOf(o, &clients.lease));
  clients.GateWrites([&manager] { return manager.IsLeader(); });
  TemplateWatches templates(kube, o);
  ControllerEnv env = ControllerEnvFor(o, clients, index, volatile_keys, events, manager);
  env.templates = templates.Lookup();
  env.uses_template = [&templates](const ApiKeyRef& ref, const std::optional<TemplateRef>& tpl) {
    templates.KeyUses(ref, tpl);
  };
  ApiKeyController controller(std::move(env));
  RequestController requests(RequestEnvFor(clients, templates, events, manager));
  Serving serving(o, clients.serving, clients.usage, clients.reviews, index, volatile_keys, manager);
  serving.UseTemplates(templates.LookupOrGet(clients.serving));
  if (o.logs_endpoint) serving.ServeLogs(*config);
  if (Status started = serving.Start(); !started.ok()) {
    spdlog::error("{}", started.message());
    return 1;
  }

  templates.StartTemplates(manager, clients.controller);
  templates.StartRequests([&requests](const std::string& key) { return requests.Reconcile(key); });
  manager.Start(ApiKeyHooks(controller, serving, shutdown, manager, templates, startup));
  int code = shutdown.Wait();
  // Stop taking work and let reconciles in flight finish (still leader),
  // flush usage and events, and only then hand the Lease over: a
  // successor never starts while a rotation of ours is half written.
  serving.Stop();
  templates.Stop();
  manager.StopWork();
  events.Flush(std::chrono::seconds(2));  // best effort; the rest is dropped
  manager.Stop();
  spdlog::info("keyward stopped (exit {})", code);
  return code;
}

}  // namespace

int RunOperatorCommand(int argc, char** argv) {
  RunOptionsParse parsed = ParseRunOptions(argc + 1, argv - 1, CurrentRunEnvironment());
  if (!parsed.help.empty()) {
    std::cout << parsed.help;
    return 0;
  }
  if (!parsed.options) {
    std::cerr << "keyward run: " << parsed.error << "\n(see keyward run --help)\n";
    return 2;
  }
  SetupLogging(parsed.options->log_level, parsed.options->log_format);
  // Keys live in this process: no core dump, no ptrace by other users.
  if (!MakeNonDumpable()) spdlog::warn("prctl(PR_SET_DUMPABLE, 0) failed; core dumps may hold keys");
  return RunOperator(*parsed.options);
}

}  // namespace keyward
