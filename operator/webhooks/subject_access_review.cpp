#include "webhooks/subject_access_review.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>

#include "api/validation.h"
#include "webhooks/token_review.h"

namespace keyward {

namespace {

struct Verdict {
  bool allowed = false;
  bool denied = false;
  std::string reason;
};

std::string Member(const rapidjson::Value& obj, const char* name) {
  if (!obj.IsObject()) return "";
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsString()) return "";
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

// keyward:<namespace>:<name> -> the ApiKey; nullopt for any other user.
std::optional<ApiKeyRef> KeywardUser(const std::string& user) {
  const std::string prefix = kKeywardUserPrefix;
  if (user.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  std::string rest = user.substr(prefix.size());
  auto colon = rest.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size()) return std::nullopt;
  return ApiKeyRef{rest.substr(0, colon), rest.substr(colon + 1)};
}

bool ReadsPodsOrLogs(const std::string& verb, const std::string& group, const std::string& resource,
                     const std::string& subresource) {
  if (!group.empty() || resource != "pods") return false;
  if (subresource == "log") return verb == "get";
  return subresource.empty() && (verb == "get" || verb == "list" || verb == "watch");
}

bool InKeywardGroup(const rapidjson::Value& spec) {
  auto groups = spec.FindMember("groups");
  if (groups == spec.MemberEnd() || !groups->value.IsArray()) return false;
  for (const auto& g : groups->value.GetArray()) {
    if (g.IsString() && std::string_view(g.GetString(), g.GetStringLength()) == kKeywardGroup) return true;
  }
  return false;
}

// extra["keyward.io/key-id"], when it holds exactly one string; else "".
std::string KeyIdOfUser(const rapidjson::Value& spec) {
  auto extra = spec.FindMember("extra");
  if (extra == spec.MemberEnd() || !extra->value.IsObject()) return "";
  auto ids = extra->value.FindMember(kKeyIdExtra);
  if (ids == extra->value.MemberEnd() || !ids->value.IsArray() || ids->value.Size() != 1 ||
      !ids->value[0].IsString()) {
    return "";
  }
  return std::string(ids->value[0].GetString(), ids->value[0].GetStringLength());
}

Verdict Review(const CheckEndpointsEnv& env, const rapidjson::Value& spec) {
  std::optional<ApiKeyRef> ref = KeywardUser(Member(spec, "user"));
  // Not ours (another authenticator's user, even one named keyward:…):
  // no opinion. Only /authenticate puts the group and the key id together.
  const std::string key_id = ref && InKeywardGroup(spec) ? KeyIdOfUser(spec) : "";
  if (key_id.empty()) return {};
  auto attrs = spec.FindMember("resourceAttributes");
  if (attrs == spec.MemberEnd() || !attrs->value.IsObject()) {
    return {false, true, "keyward keys may only read pods and pods/log"};
  }
  const rapidjson::Value& a = attrs->value;
  if (!ReadsPodsOrLogs(Member(a, "verb"), Member(a, "group"), Member(a, "resource"),
                       Member(a, "subresource"))) {
    return {false, true, "keyward keys may only read pods and pods/log"};
  }
  AccessTarget target;
  target.namespace_name = Member(a, "namespace");
  target.pod = Member(a, "name");
  target.action = "log";
  if (TargetError(target)) return {false, true, "not a valid namespace or pod name"};
  auto start = std::chrono::steady_clock::now();
  CheckDecision d = env.service->AuthorizeKey(*ref, key_id, target, env.now());
  if (env.metrics) {
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    env.metrics->RecordCheck(CheckEndpoint::kSubjectAccessReview, d.reason, took.count());
  }
  if (d.allowed) return {true, false, "allowed by ApiKey " + ref->String()};
  return {false, true, IsUnusableKey(d.reason) ? "the ApiKey is not usable" : "outside the key's scope"};
}

std::string ReviewBody(const Verdict& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("apiVersion");
  w.String("authorization.k8s.io/v1");
  w.Key("kind");
  w.String("SubjectAccessReview");
  w.Key("status");
  w.StartObject();
  w.Key("allowed");
  w.Bool(v.allowed);
  if (v.denied) {
    w.Key("denied");
    w.Bool(true);
  }
  if (!v.reason.empty()) {
    w.Key("reason");
    w.String(v.reason.c_str());
  }
  w.EndObject();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace

HttpResponse HandleSubjectAccessReview(const CheckEndpointsEnv& env, const HttpRequest& request) {
  auto count = [&](WebhookResult result) {
    if (env.metrics) env.metrics->RecordWebhook(WebhookKind::kAuthorize, result);
  };
  if (request.method != "POST") {
    count(WebhookResult::kError);
    return JsonError(405, "use POST with a SubjectAccessReview");
  }
  if (auto deep = RefuseDeepJson(request.body)) {
    count(WebhookResult::kError);
    return *deep;
  }
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(request.body.data(), request.body.size());
  const rapidjson::Value* spec = nullptr;
  if (!doc.HasParseError() && doc.IsObject()) {
    auto it = doc.FindMember("spec");
    if (it != doc.MemberEnd() && it->value.IsObject()) spec = &it->value;
  }
  if (!spec) {
    count(WebhookResult::kError);
    return JsonError(400, "body must be a SubjectAccessReview with a spec");
  }
  Verdict verdict = Review(env, *spec);
  count(verdict.allowed ? WebhookResult::kAllowed
                        : verdict.denied ? WebhookResult::kDenied : WebhookResult::kNoOpinion);
  HttpResponse r;
  r.body = ReviewBody(verdict);
  return r;
}

}  // namespace keyward
