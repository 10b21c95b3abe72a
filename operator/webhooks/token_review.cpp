#include "webhooks/token_review.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>

namespace keyward {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void WriteReview(Writer& w, const CheckDecision* who, const rapidjson::Value* audiences) {
  w.StartObject();
  w.Key("apiVersion");
  w.String("authentication.k8s.io/v1");
  w.Key("kind");
  w.String("TokenReview");
  w.Key("status");
  w.StartObject();
  w.Key("authenticated");
  w.Bool(who != nullptr);
  if (who) {
    w.Key("user");
    w.StartObject();
    w.Key("username");
    std::string user = std::string(kKeywardUserPrefix) + who->api_key->namespace_name + ":" +
                       who->api_key->name;
    w.String(user.c_str(), static_cast<rapidjson::SizeType>(user.size()));
    w.Key("groups");
    w.StartArray();
    w.String(kKeywardGroup);
    w.EndArray();
    w.Key("extra");  // which key this was: /authorize answers for that key alone
    w.StartObject();
    w.Key(kKeyIdExtra);
    w.StartArray();
    w.String(who->key_id.c_str(), static_cast<rapidjson::SizeType>(who->key_id.size()));
    w.EndArray();
    w.EndObject();
    w.EndObject();
    if (audiences) {  // valid for every audience asked: keyward keys are not audience-bound
      w.Key("audiences");
      audiences->Accept(w);
    }
  }
  w.EndObject();
  w.EndObject();
}

}  // namespace

namespace {

HttpResponse Review(const CheckEndpointsEnv& env, const HttpRequest& request, WebhookResult* result) {
  *result = WebhookResult::kError;
  if (request.method != "POST") return JsonError(405, "use POST with a TokenReview");
  if (auto deep = RefuseDeepJson(request.body)) return *deep;
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(request.body.data(), request.body.size());
  if (doc.HasParseError() || !doc.IsObject()) return JsonError(400, "body must be a TokenReview");
  auto spec = doc.FindMember("spec");
  if (spec == doc.MemberEnd() || !spec->value.IsObject()) return JsonError(400, "spec: required");
  auto token = spec->value.FindMember("token");
  if (token == spec->value.MemberEnd() || !token->value.IsString()) {
    return JsonError(400, "spec.token: must be a string");
  }
  const rapidjson::Value* audiences = nullptr;
  auto aud = spec->value.FindMember("audiences");
  if (aud != spec->value.MemberEnd() && aud->value.IsArray()) audiences = &aud->value;

  auto start = std::chrono::steady_clock::now();
  std::string_view key(token->value.GetString(), token->value.GetStringLength());
  CheckDecision d = env.service->Authenticate(key, env.now());
  if (env.metrics) {
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    env.metrics->RecordCheck(CheckEndpoint::kTokenReview, d.reason, took.count());
  }
  *result = d.allowed ? WebhookResult::kAllowed : WebhookResult::kDenied;
  rapidjson::StringBuffer buf;
  Writer w(buf);
  WriteReview(w, d.allowed ? &d : nullptr, audiences);
  HttpResponse r;
  r.body.assign(buf.GetString(), buf.GetSize());
  return r;
}

}  // namespace

HttpResponse HandleTokenReview(const CheckEndpointsEnv& env, const HttpRequest& request) {
  WebhookResult result;
  HttpResponse r = Review(env, request, &result);
  if (env.metrics) env.metrics->RecordWebhook(WebhookKind::kAuthenticate, result);
  return r;
}

}  // namespace keyward
