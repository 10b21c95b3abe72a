#include "server/check_endpoints.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>

#include "api/validation.h"
#include "server/presented_key.h"

namespace keyward {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// The reason a client may see: unusable keys all look the same.
const char* PublicReason(CheckReason reason) {
  return IsUnusableKey(reason) ? "unauthenticated" : CheckReasonName(reason);
}

void WriteRemaining(Writer& w, const CheckDecision& d) {
  w.Key("remaining");
  w.StartObject();
  const std::pair<const char*, const std::optional<std::int64_t>*> windows[] = {
      {"second", &d.remaining_second}, {"day", &d.remaining_day}, {"month", &d.remaining_month}};
  for (const auto& [name, value] : windows) {
    w.Key(name);
    if (*value) w.Int64(**value); else w.Null();  // null: unlimited
  }
  w.EndObject();
}

std::string DecisionBody(const CheckDecision& d) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("allowed");
  w.Bool(d.allowed);
  w.Key("reason");
  w.String(PublicReason(d.reason));
  if (!IsUnusableKey(d.reason)) {
    if (d.api_key) {
      w.Key("apiKey");
      w.StartObject();
      w.Key("namespace");
      w.String(d.api_key->namespace_name.c_str());
      w.Key("name");
      w.String(d.api_key->name.c_str());
      w.EndObject();
    }
    if (d.scope) {
      w.Key("scope");
      w.String(ScopeName(*d.scope));
    }
    if (d.filter) {
      w.Key("filter");
      w.String(d.filter->c_str());
    }
    WriteRemaining(w, d);
  }
  if (d.reason == CheckReason::kUnavailable) {
    // What to wait for (an owner lookup, a replica behind its leader);
    // never holds a key.
    w.Key("message");
    w.String(d.message.c_str());
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

void AddQuotaHeaders(const CheckDecision& d, HttpResponse* r) {
  const std::pair<const char*, const std::optional<std::int64_t>*> windows[] = {
      {"X-RateLimit-Remaining-Second", &d.remaining_second},
      {"X-RateLimit-Remaining-Day", &d.remaining_day},
      {"X-RateLimit-Remaining-Month", &d.remaining_month}};
  for (const auto& [name, value] : windows) {
    if (*value) r->headers.emplace_back(name, std::to_string(**value));
  }
  if (d.reason == CheckReason::kQuotaExceeded) {
    r->headers.emplace_back("Retry-After", std::to_string(std::max<long long>(1, d.retry_after.count())));
  }
}

// A string member of |doc|, nullopt when absent; false when of another type.
bool ReadString(const rapidjson::Document& doc, const char* name, std::string* out) {
  auto it = doc.FindMember(name);
  if (it == doc.MemberEnd() || it->value.IsNull()) return true;
  if (!it->value.IsString()) return false;
  out->assign(it->value.GetString(), it->value.GetStringLength());
  return true;
}

CheckDecision Decide(const CheckEndpointsEnv& env, CheckEndpoint endpoint, std::string_view key,
                     const AccessTarget& target, const std::optional<ApiKeyRef>& claimed) {
  auto start = std::chrono::steady_clock::now();
  CheckDecision d = env.service->Check(key, target, env.now(), claimed ? &*claimed : nullptr);
  if (env.metrics) {
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    env.metrics->RecordCheck(endpoint, d.reason, took.count());
    if (env.per_key_metrics && d.allowed && d.api_key) {
      env.metrics->RecordKeyRequest(d.api_key->namespace_name, d.api_key->name, d.template_name);
    }
  }
  return d;
}

}  // namespace

HttpResponse HandleCheck(const CheckEndpointsEnv& env, const HttpRequest& request) {
  if (request.method != "POST") return JsonError(405, "use POST with a JSON body");
  std::string_view type = request.Header("Content-Type");
  if (!type.empty() && !EqualsIgnoreCase(type.substr(0, type.find(';')), "application/json")) {
    return JsonError(415, "Content-Type must be application/json");
  }
  if (auto deep = RefuseDeepJson(request.body)) return *deep;
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(request.body.data(), request.body.size());
  if (doc.HasParseError() || !doc.IsObject()) return JsonError(400, "body must be a JSON object");
  AccessTarget target;
  std::string body_key;
  const std::pair<const char*, std::string*> fields[] = {
      {"key", &body_key}, {"namespace", &target.namespace_name}, {"pod", &target.pod},
      {"container", &target.container}, {"action", &target.action}};
  for (const auto& [name, out] : fields) {
    if (!ReadString(doc, name, out)) return JsonError(400, std::string(name) + ": must be a string");
  }
  if (target.namespace_name.empty()) return JsonError(400, "namespace: required");
  if (target.action.empty()) target.action = "log";
  if (auto bad = TargetError(target)) return JsonError(400, *bad);
  PresentedKey presented = KeyFromHeaders(request);
  if (!presented.error.empty()) return JsonError(400, presented.error);
  if (presented.key.empty()) presented.key = std::move(body_key);
  if (presented.key.empty()) {
    return JsonError(401, "no key: send Authorization: Bearer <key> or \"key\" in the body");
  }
  CheckDecision d = Decide(env, CheckEndpoint::kCheck, presented.key, target, presented.claimed);
  HttpResponse r;
  r.body = DecisionBody(d);
  AddQuotaHeaders(d, &r);
  return r;
}

namespace {

// Where forward-auth's target comes from: the URI the proxy saw, when a
// path template is set (a client can add X-Keyward-* headers of its own,
// and a proxy that does not clear them passes them on), else the headers.
std::optional<AccessTarget> ForwardAuthTarget(const CheckEndpointsEnv& env, const HttpRequest& request,
                                              std::string* error) {
  if (env.forward_auth_path) {
    std::string_view uri = request.Header("X-Original-URI");
    if (uri.empty()) uri = request.Header("X-Forwarded-Uri");
    if (uri.empty()) {
      *error = "the proxy must send X-Original-URI or X-Forwarded-Uri (--forward-auth-path is set; "
               "see docs/endpoints.md)";
      return std::nullopt;
    }
    std::optional<AccessTarget> t = env.forward_auth_path->Match(uri);
    if (!t) *error = "the original URI does not match --forward-auth-path " + env.forward_auth_path->pattern();
    return t;
  }
  AccessTarget target;
  target.namespace_name = std::string(request.Header("X-Keyward-Namespace"));
  target.pod = std::string(request.Header("X-Keyward-Pod"));
  target.container = std::string(request.Header("X-Keyward-Container"));
  std::string_view action = request.Header("X-Keyward-Action");
  target.action = action.empty() ? "log" : std::string(action);
  if (target.namespace_name.empty()) {
    *error = "the proxy must send X-Keyward-Namespace (see docs/endpoints.md)";
    return std::nullopt;
  }
  return target;
}

}  // namespace

HttpResponse HandleForwardAuth(const CheckEndpointsEnv& env, const HttpRequest& request) {
  std::string error;
  std::optional<AccessTarget> found = ForwardAuthTarget(env, request, &error);
  if (!found) return JsonError(400, error);
  AccessTarget& target = *found;
  if (auto bad = TargetError(target)) return JsonError(400, *bad);
  PresentedKey presented = KeyFromHeaders(request);
  HttpResponse r;
  if (presented.key.empty()) {
    r = JsonError(401, presented.error.empty() ? "no key" : presented.error);
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"keyward\"");
    return r;
  }
  CheckDecision d = Decide(env, CheckEndpoint::kForwardAuth, presented.key, target, presented.claimed);
  r.body = DecisionBody(d);
  AddQuotaHeaders(d, &r);
  if (d.allowed) {
    r.headers.emplace_back("X-Keyward-ApiKey", d.api_key->String());
    if (d.scope) r.headers.emplace_back("X-Keyward-Scope", ScopeName(*d.scope));
    // Validation keeps filters to one printable line; one from before that
    // rule is refused rather than written (the listener would drop it too).
    if (d.filter && !IsPrintableLine(*d.filter)) {
      return JsonError(500, "the ApiKey's filter holds a control character; fix spec.access[].filter");
    }
    if (d.filter) r.headers.emplace_back("X-Keyward-Filter", *d.filter);
    return r;
  }
  r.status = IsUnusableKey(d.reason)                  ? 401
             : d.reason == CheckReason::kQuotaExceeded ? 429
             : d.reason == CheckReason::kUnavailable   ? 503
                                                       : 403;
  if (r.status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"keyward\"");
  return r;
}

}  // namespace keyward
