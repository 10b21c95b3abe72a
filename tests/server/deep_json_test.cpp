// Every request parser behind the HTTPS port, fed 1 MiB of "[[[[...": each
// answers 400, on a thread with the default stack, instead of overflowing it.
#include <gtest/gtest.h>

#include <thread>

#include "base/json_depth.h"
#include "check/fake_owners.h"
#include "server/check_endpoints.h"
#include "webhooks/admission.h"
#include "webhooks/subject_access_review.h"
#include "webhooks/token_review.h"

namespace keyward {
namespace {

const TimePoint kNow = *ParseRfc3339("2026-11-22T12:00:00Z");

struct NoReviewer : AdmissionReviewer {
  Result<bool> May(const web::json::value&, const AccessReview&) override { return false; }
};

struct Handlers {
  KeyIndex index{"pepper-for-tests-0123456789abcdef"};
  FakeOwners owners;
  QuotaBook quotas;
  CheckService service{index, owners, quotas};
  CheckEndpointsEnv env{&service, nullptr, [] { return kNow; }};
  NoReviewer reviewer;
  AdmissionEnv admission;
  Handlers() {
    admission.reviewer = &reviewer;
    admission.count_in_namespace = [](const std::string&) { return 0; };
  }
};

// Runs |handler| on a new std::thread (the default stack, as the listener's
// threads have) and returns its answer.
HttpResponse OnThread(const std::function<HttpResponse(const HttpRequest&)>& handler, const std::string& body) {
  HttpRequest r;
  r.method = "POST";
  r.body = body;
  r.headers.emplace_back("Content-Type", "application/json");
  HttpResponse out;
  std::thread t([&] { out = handler(r); });
  t.join();
  return out;
}

std::vector<std::string> HostileBodies() {
  return {std::string(1 << 20, '['), std::string(1 << 20, '{'),
          std::string(300000, '[') + std::string(300000, ']'),
          // Deep inside an otherwise valid review: after "spec".
          R"({"apiVersion":"authentication.k8s.io/v1","spec":{"token":)" + std::string(500000, '[')};
}

TEST(DeepJson, EveryRequestParserAnswers400) {
  Handlers h;
  const std::pair<const char*, std::function<HttpResponse(const HttpRequest&)>> handlers[] = {
      {"/v1/check", [&](const HttpRequest& r) { return HandleCheck(h.env, r); }},
      {"/authenticate", [&](const HttpRequest& r) { return HandleTokenReview(h.env, r); }},
      {"/authorize", [&](const HttpRequest& r) { return HandleSubjectAccessReview(h.env, r); }},
      {"/validate", [&](const HttpRequest& r) { return HandleValidate(h.admission, r); }},
      {"/mutate", [&](const HttpRequest& r) { return HandleMutate(h.admission, r); }},
  };
  for (const auto& [path, handler] : handlers) {
    for (const std::string& body : HostileBodies()) {
      HttpResponse r = OnThread(handler, body);
      EXPECT_EQ(r.status, 400) << path << " " << body.size();
      // RapidJSON's endpoints are measured first; admission's parser
      // (cpprestsdk) refuses the depth itself.
      const bool admission = std::string_view(path) == "/validate" || std::string_view(path) == "/mutate";
      const char* says = admission ? "body must be an AdmissionReview" : "deeper than 128 levels";
      EXPECT_NE(r.body.find(says), std::string::npos) << path << ": " << r.body;
    }
  }
}

TEST(DeepJson, BodiesAtTheLimitStillParse) {
  Handlers h;
  // 128 levels is allowed: the check endpoint parses it and names the field.
  std::string body = R"({"namespace":"prod","key":)" + std::string(127, '[') + std::string(127, ']') + "}";
  HttpResponse r = OnThread([&](const HttpRequest& q) { return HandleCheck(h.env, q); }, body);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("key: must be a string"), std::string::npos) << r.body;
  // Brackets inside strings do not count.
  std::string quoted = R"({"namespace":"prod","pod":")" + std::string(100000, '[') + R"("})";
  r = OnThread([&](const HttpRequest& q) { return HandleCheck(h.env, q); }, quoted);
  EXPECT_EQ(r.body.find("deeper"), std::string::npos) << r.body.substr(0, 200);
}

}  // namespace
}  // namespace keyward
