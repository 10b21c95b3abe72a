#include "server/logs_endpoint.h"

#include <spdlog/spdlog.h>

#include <charconv>

#include "api/validation.h"
#include "base/secure_memory.h"
#include "server/log_stream.h"
#include "server/presented_key.h"

namespace keyward {

namespace {

// "/v1/logs/<namespace>/<pod>/<container>" -> the three names.
bool SplitPath(std::string_view path, PodLogRequest* out) {
  constexpr std::string_view prefix = "/v1/logs/";
  if (path.substr(0, prefix.size()) != prefix) return false;
  std::string_view rest = path.substr(prefix.size());
  std::string* parts[] = {&out->namespace_name, &out->pod, &out->container};
  for (int i = 0; i < 3; ++i) {
    std::size_t slash = rest.find('/');
    std::string_view part = rest.substr(0, slash);
    if (part.empty() || (i < 2) == (slash == std::string_view::npos)) return false;
    parts[i]->assign(part);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  }
  return true;
}

std::optional<bool> ParseBool(std::string_view v) {
  if (v == "true" || v == "1" || v.empty()) return true;
  if (v == "false" || v == "0") return false;
  return std::nullopt;
}

std::optional<long long> ParseInt(std::string_view v, long long min) {
  long long n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size() || n < min) return std::nullopt;
  return n;
}

// The query string into |out|; an error names the parameter.
std::string ParseQuery(std::string_view query, PodLogRequest* out) {
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    std::size_t eq = pair.find('=');
    std::string_view name = pair.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (name == "follow" || name == "timestamps") {
      auto b = ParseBool(value);
      if (!b) return std::string(name) + ": must be true or false";
      (name == "follow" ? out->follow : out->timestamps) = *b;
    } else if (name == "sinceSeconds") {
      out->since_seconds = ParseInt(value, 1);
      if (!out->since_seconds) return "sinceSeconds: must be a whole number of seconds above 0";
    } else if (name == "tailLines") {
      out->tail_lines = ParseInt(value, 0);
      if (!out->tail_lines) return "tailLines: must be a whole number, 0 or more";
    } else {
      return "unknown parameter " + std::string(name) +
             " (follow, sinceSeconds, tailLines, timestamps)";
    }
  }
  return "";
}

int StatusFor(const CheckDecision& d) {
  if (IsUnusableKey(d.reason)) return 401;
  if (d.reason == CheckReason::kQuotaExceeded) return 429;
  if (d.reason == CheckReason::kUnavailable) return 503;
  return 403;
}

// Releases a slot of the stream cap when the last owner lets go.
class StreamSlot {
 public:
  explicit StreamSlot(std::atomic<int>* count) : count_(count) {
    if (count_) ++*count_;
  }
  ~StreamSlot() {
    if (count_) --*count_;
  }
  StreamSlot(const StreamSlot&) = delete;
  StreamSlot& operator=(const StreamSlot&) = delete;
  bool over(int max) const { return count_ && count_->load() > max; }

 private:
  std::atomic<int>* count_;
};

// The key, kept only to re-check it while its stream is open; wiped after.
struct HeldKey {
  explicit HeldKey(std::string k) : key(std::move(k)) {}
  ~HeldKey() { Wipe(key); }
  HeldKey(const HeldKey&) = delete;
  HeldKey& operator=(const HeldKey&) = delete;
  std::string key;
};

// The answer to a key that may not read this log.
HttpResponse Refusal(const CheckDecision& d) {
  HttpResponse r = JsonError(StatusFor(d), IsUnusableKey(d.reason) ? "unauthenticated" : d.message);
  if (d.reason == CheckReason::kQuotaExceeded) {
    r.headers.emplace_back("Retry-After", std::to_string(std::max<long long>(1, d.retry_after.count())));
  }
  return r;
}

// A slot of |ref|'s own stream cap, released with the stream; null when
// it has none left.
std::shared_ptr<CappedCounts::Slot> TakeKeySlot(const LogsEndpointEnv& env, const std::string& ref) {
  if (!env.per_key_streams->Take(ref, env.max_streams_per_key)) return nullptr;
  return std::make_shared<CappedCounts::Slot>(env.per_key_streams, ref);
}

// What a stream holds until it ends: its places under both caps.
struct StreamSlots {
  std::shared_ptr<StreamSlot> overall;
  std::shared_ptr<CappedCounts::Slot> per_key;  // null: no per-key cap
};

// The stream's rules: the key asked again (no quota) for the same target
// whenever the index moved past |generation|, and every 250 ms. The closure
// owns the key and the slots: all live exactly as long as the stream.
LogStreamOptions StreamOptions(const LogsEndpointEnv& env, const CheckDecision& d, const AccessTarget& target,
                               std::shared_ptr<HeldKey> held, StreamSlots slots, std::uint64_t generation) {
  LogStreamOptions options;
  options.filter = d.filter.value_or("");
  options.rules = [service = env.service, held, slots, target, now = env.now] {
    CheckDecision again = service->Recheck(held->key, target, now());
    return LogRules{again.allowed, again.filter.value_or("")};
  };
  options.generation = [service = env.service] { return service->RulesGeneration(); };
  options.generation_at_open = generation;
  return options;
}

}  // namespace

HttpResponse HandleLogs(const LogsEndpointEnv& env, const HttpRequest& request) {
  if (request.method != "GET") return JsonError(405, "use GET");
  PodLogRequest logs;
  if (!SplitPath(request.path, &logs)) return JsonError(404, "use /v1/logs/<namespace>/<pod>/<container>");
  if (std::string bad = ParseQuery(request.query, &logs); !bad.empty()) return JsonError(400, bad);
  PresentedKey presented = KeyFromHeaders(request);
  if (!presented.error.empty()) return JsonError(400, presented.error);
  if (presented.key.empty()) {
    HttpResponse r = JsonError(401, "no key: send Authorization: Bearer <key>");
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"keyward\"");
    return r;
  }
  AccessTarget target;
  target.namespace_name = logs.namespace_name;
  target.pod = logs.pod;
  target.container = logs.container;
  target.action = "log";
  if (auto bad = TargetError(target)) return JsonError(400, *bad);
  const std::uint64_t generation = env.service->RulesGeneration();  // before the decision
  CheckDecision d = env.service->Check(presented.key, target, env.now(),
                                       presented.claimed ? &*presented.claimed : nullptr);
  if (!d.allowed) return Refusal(d);
  auto slot = std::make_shared<StreamSlot>(env.open_streams);
  if (slot->over(env.max_streams)) {
    return JsonError(503, "too many open log streams; try again later");
  }
  std::shared_ptr<CappedCounts::Slot> key_slot;
  if (env.per_key_streams) {
    key_slot = TakeKeySlot(env, d.api_key->String());
    if (!key_slot) {
      return JsonError(429, "ApiKey " + d.api_key->String() + " has " + std::to_string(env.max_streams_per_key) +
                                " log streams open, its most (--max-log-streams-per-key); close one first");
    }
  }
  std::unique_ptr<PodLogReader> reader = env.new_reader();
  PodLogOpen opened = reader->Open(logs);
  if (!opened.ok()) {
    spdlog::warn("logs for {}/{}/{}: {}", logs.namespace_name, logs.pod, logs.container,
                 opened.message);
    int code = opened.code >= 400 && opened.code < 500 && opened.code != 401 && opened.code != 403
                   ? opened.code
                   : 503;
    return JsonError(code, code == 503 ? "the API server did not give the log: " + opened.message
                                       : opened.message);
  }
  LogStreamOptions options = StreamOptions(env, d, target, std::make_shared<HeldKey>(presented.key),
                                           {slot, key_slot}, generation);
  HttpResponse r;
  r.content_type = "text/plain; charset=utf-8";
  r.headers.emplace_back("X-Keyward-ApiKey", d.api_key->String());
  if (d.filter) r.headers.emplace_back("X-Keyward-Filter", *d.filter);
  r.stream = std::make_shared<LogStream>(std::move(reader), std::move(options));
  return r;
}

}  // namespace keyward
