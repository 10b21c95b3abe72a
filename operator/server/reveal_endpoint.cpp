#include "server/reveal_endpoint.h"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include "kube/json_fields.h"
#include "server/presented_key.h"

namespace keyward {

using web::json::value;

namespace {

RevealPermission Result(RevealPermission::Outcome outcome, std::string user, std::string message) {
  return {outcome, std::move(user), std::move(message)};
}

value ReviewRequest(const char* api_version, const char* kind) {
  value v;
  v["apiVersion"] = value::string(api_version);
  v["kind"] = value::string(kind);
  return v;
}

// "/v1/reveal/<namespace>/<name>" -> the ApiKey, or nullopt.
std::optional<ApiKeyRef> RefFromPath(std::string_view path) {
  constexpr std::string_view prefix = "/v1/reveal/";
  if (path.substr(0, prefix.size()) != prefix) return std::nullopt;
  std::string_view rest = path.substr(prefix.size());
  auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == rest.size() ||
      rest.find('/', slash + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  return ApiKeyRef{std::string(rest.substr(0, slash)), std::string(rest.substr(slash + 1))};
}

}  // namespace

RevealPermission ApiRevealAuthorizer::Check(const std::string& token, const ApiKeyRef& ref) {
  using Outcome = RevealPermission::Outcome;
  value review = ReviewRequest("authentication.k8s.io/v1", "TokenReview");
  review["spec"]["token"] = value::string(token);
  KubeResult who = kube_.Create({"authentication.k8s.io/v1", "tokenreviews", "", "", ""}, review);
  if (!who.status.ok()) return Result(Outcome::kUnavailable, "", "TokenReview: " + who.status.String());
  if (!JsonBool(who.body, {"status", "authenticated"}).value_or(false)) {
    return Result(Outcome::kUnauthenticated, "", "the API server does not know this token");
  }
  std::string user = JsonStringOr(who.body, {"status", "user", "username"});
  value sar = ReviewRequest("authorization.k8s.io/v1", "SubjectAccessReview");
  sar["spec"]["user"] = value::string(user);
  sar["spec"]["groups"] = value::array();
  const auto& groups = JsonArray(who.body, {"status", "user", "groups"});
  for (std::size_t i = 0; i < groups.size(); ++i) sar["spec"]["groups"][i] = groups.at(i);
  if (auto uid = JsonString(who.body, {"status", "user", "uid"})) sar["spec"]["uid"] = value::string(*uid);
  value& attrs = sar["spec"]["resourceAttributes"];
  attrs["group"] = value::string("keyward.io");
  attrs["resource"] = value::string("apikeys");
  attrs["subresource"] = value::string("reveal");
  attrs["verb"] = value::string("get");
  attrs["namespace"] = value::string(ref.namespace_name);
  attrs["name"] = value::string(ref.name);
  KubeResult may = kube_.Create({"authorization.k8s.io/v1", "subjectaccessreviews", "", "", ""}, sar);
  if (!may.status.ok()) return Result(Outcome::kUnavailable, user, "SubjectAccessReview: " + may.status.String());
  if (!JsonBool(may.body, {"status", "allowed"}).value_or(false)) {
    return Result(Outcome::kForbidden, user,
                  "user " + user + " may not get apikeys/reveal in namespace " + ref.namespace_name);
  }
  return Result(Outcome::kAllowed, user, "");
}

HttpResponse HandleReveal(RevealAuthorizer& authorizer, VolatileKeyStore& keys,
                          const HttpRequest& request) {
  if (request.method != "GET") return JsonError(405, "use GET");
  std::optional<ApiKeyRef> ref = RefFromPath(request.path);
  if (!ref) return JsonError(404, "use /v1/reveal/<namespace>/<name>");
  PresentedKey token = KeyFromHeaders(request);
  if (token.key.empty() || token.claimed) {
    return JsonError(401, "send your Kubernetes token: Authorization: Bearer $(kubectl create token ...)");
  }
  RevealPermission may = authorizer.Check(token.key, *ref);
  OPENSSL_cleanse(token.key.data(), token.key.size());
  using Outcome = RevealPermission::Outcome;
  if (may.outcome == Outcome::kUnauthenticated) return JsonError(401, may.message);
  if (may.outcome == Outcome::kForbidden) return JsonError(403, may.message);
  if (may.outcome == Outcome::kUnavailable) return JsonError(503, may.message);
  VolatileKeyStore::Revealed revealed = keys.RevealOnce(*ref);
  using Status = VolatileKeyStore::Revealed::Status;
  if (revealed.status == Status::kNotHeld) {
    return JsonError(404, "no volatile key " + ref->String() + " on this replica (permanent keys "
                          "are in their Secret; a volatile key's value lives on the replica that "
                          "minted it)");
  }
  if (revealed.status == Status::kMintedElsewhere) {
    // docs/replicas.md: only digests travel between replicas.
    return JsonError(409, "this replica holds only the digest of " + ref->String() +
                              "'s volatile key; its value is on the replica that minted it (the "
                              "leader then): retry, the Service sends the request to another replica");
  }
  if (revealed.status == Status::kAlreadyRevealed) {
    return JsonError(410, "the key of " + ref->String() + " was revealed once already; annotate "
                          "the ApiKey keyward.io/rotate-requested-at=<now> to mint a new one");
  }
  spdlog::info("volatile key of {} revealed to {}", ref->String(), may.user);
  HttpResponse r;
  r.sensitive = true;
  r.headers.emplace_back("Cache-Control", "no-store");
  // Appended into one reserved buffer: no temporary copy of the key is left.
  r.body.reserve(64 + ref->namespace_name.size() + ref->name.size() + revealed.key.size());
  r.body.append("{\"apiKey\":{\"namespace\":\"").append(ref->namespace_name);
  r.body.append("\",\"name\":\"").append(ref->name).append("\"},\"key\":\"");
  r.body.append(revealed.key).append("\"}");
  OPENSSL_cleanse(revealed.key.data(), revealed.key.size());
  return r;
}

}  // namespace keyward
