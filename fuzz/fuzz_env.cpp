#include "fuzz_env.h"

#include <memory>

#include "base/time_format.h"

namespace keyward {
namespace {

// Says yes for prod and team-*, no elsewhere, without an API server.
struct FixedReviewer : AdmissionReviewer {
  Result<bool> May(const web::json::value&, const AccessReview& r) override {
    return r.namespace_name == "prod" || r.namespace_name.rfind("team-", 0) == 0;
  }
};

void AddKey(KeyIndex& index, const std::string& name, AccessRule rule, Limits limits,
            const std::string& key) {
  auto p = std::make_shared<IndexedPolicy>();
  p->ref = {"team-a", name};
  p->policy.rules = {std::move(rule)};
  p->limits = limits;
  index.SetPolicy(p);
  index.AddKey(p->ref, index.hasher().Hash(key));
}

}  // namespace

FuzzEnv::FuzzEnv() {
  const TimePoint now = *ParseRfc3339("2026-11-22T12:00:00Z");
  endpoints = CheckEndpointsEnv{&service, nullptr, [now] { return now; }};
  static FixedReviewer reviewer;
  admission.reviewer = &reviewer;
  admission.max_keys_per_namespace = 5;
  admission.count_in_namespace = [](const std::string& ns) { return static_cast<int>(ns.size() % 7); };
  admission.now = [now] { return now; };

  owners.pods["prod/web-1"] = PodOwner{SetType::kReplica, "web-7d9f", "web"};
  owners.pods["prod/bare"] = PodOwner{};

  AccessRule wide;
  wide.scope = Scope::kNamespace;
  wide.namespaces = {"prod", "team-*"};
  AddKey(index, "wide", wide, {}, kFuzzKey);

  AccessRule narrow;
  narrow.scope = Scope::kContainer;
  narrow.namespaces = {"prod"};
  narrow.set_type = SetType::kReplica;
  narrow.sets = {"web"};
  narrow.containers = {"app"};
  narrow.filter = "level=error";
  AddKey(index, "narrow", narrow, Limits{3, 100, std::nullopt}, kFuzzContainerKey);
}

FuzzEnv& TheFuzzEnv() {
  static FuzzEnv env;
  return env;
}

bool LeaksAKey(const HttpResponse& response) {
  for (std::string_view key : {kFuzzKey, kFuzzContainerKey}) {
    if (response.body.find(key) != std::string::npos) return true;
    for (const auto& [name, value] : response.headers) {
      if (value.find(key) != std::string::npos) return true;
    }
  }
  return false;
}

HttpRequest PostRequest(std::string_view body) {
  HttpRequest r;
  r.method = "POST";
  r.body = body;
  r.tls = true;
  return r;
}

std::vector<std::pair<std::string_view, std::string_view>> HeaderLines(std::string_view data) {
  std::vector<std::pair<std::string_view, std::string_view>> headers;
  while (!data.empty()) {
    std::size_t end = data.find('\n');
    std::string_view line = data.substr(0, end);
    data = end == std::string_view::npos ? std::string_view() : data.substr(end + 1);
    std::size_t colon = line.find(':');
    std::string_view name = line.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    headers.emplace_back(name, value);
  }
  return headers;
}

}  // namespace keyward
