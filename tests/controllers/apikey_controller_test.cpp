#include <algorithm>
#include "controllers/apikey_controller.h"

#include <gtest/gtest.h>

#include "controllers/apikey_status.h"
#include "base/base64.h"
#include "controllers/controller_harness.h"
#include "controllers/key_secret.h"

namespace keyward {
namespace {

const char* kNamespaceSpec =
    "  description: logs\n"
    "  access: [{scope: namespace, namespaces: [prod]}]\n";

TEST(ApiKeyController, PermanentKeyIsMintedIntoAnOwnedSecretAndIndexed) {
  Harness h;
  h.Apply("logs", kNamespaceSpec);
  Action a = h.Reconcile("logs");
  EXPECT_FALSE(a.failed()) << a.error();
  ASSERT_TRUE(h.kube.Has(SecretPath("logs-apikey")));
  value secret = h.kube.Object(SecretPath("logs-apikey"));
  EXPECT_EQ(secret.at("type").as_string(), "keyward.io/api-key");
  value owner = secret.at("metadata").at("ownerReferences").at(0);
  EXPECT_EQ(owner.at("uid").as_string(), "uid-logs");
  EXPECT_TRUE(owner.at("controller").as_bool());
  std::string key = h.SecretKey("logs-apikey");
  EXPECT_EQ(CheckKeyFormat(key), KeyFormatError::kOk);

  value status = h.Status("logs");
  EXPECT_EQ(status.at("phase").as_string(), "Active");
  EXPECT_EQ(status.at("keyHash").as_string(), h.index.hasher().ToStatus(h.index.hasher().Hash(key)));
  EXPECT_EQ(status.at("keyHint").as_string(), KeyHint(key));
  EXPECT_EQ(status.at("observedGeneration").as_integer(), 1);
  value ready = status.at("conditions").at(0);
  EXPECT_EQ(ready.at("type").as_string(), "Ready");
  EXPECT_EQ(ready.at("status").as_string(), "True");
  EXPECT_EQ(ready.at("reason").as_string(), "Minted");
  EXPECT_EQ(h.index.Lookup(key, h.now).status, LookupStatus::kFound);
  EXPECT_EQ(h.events.reasons, std::vector<std::string>{"Minted"});
  // First mint costs one Secret write and one status write, no read.
  EXPECT_EQ(h.kube.CountCalls("get"), 0);
  EXPECT_EQ(h.kube.CountCalls("create"), 1);
  EXPECT_EQ(h.kube.CountCalls("patch"), 1);
  // No event or status message carries the key.
  for (const auto& m : h.events.messages) EXPECT_EQ(m.find(key), std::string::npos);
}

TEST(ApiKeyController, SecondReconcileKeepsTheKeyAndWritesNothing) {
  Harness h;
  h.Apply("logs", kNamespaceSpec);
  h.Reconcile("logs");
  std::string key = h.SecretKey("logs-apikey");
  int patches = h.kube.CountCalls("patch");
  int gets = h.kube.CountCalls("get");
  Action again = h.Reconcile("logs");
  EXPECT_EQ(h.kube.CountCalls("get"), gets);  // the Secret was just verified
  EXPECT_FALSE(again.failed());
  EXPECT_EQ(h.SecretKey("logs-apikey"), key);
  EXPECT_EQ(h.kube.CountCalls("patch"), patches);
  EXPECT_EQ(h.kube.CountCalls("create"), 1);
  ASSERT_EQ(again.kind(), Action::Kind::kRequeue);  // periodic Secret check
}

TEST(ApiKeyController, ScopeEditKeepsKeyAndBumpsObservedGeneration) {
  Harness h;
  h.Apply("logs", kNamespaceSpec);
  h.Reconcile("logs");
  std::string key = h.SecretKey("logs-apikey");
  h.Apply("logs", "  description: logs\n  access: [{scope: namespace, namespaces: [staging]}]\n", 2);
  h.Reconcile("logs");
  EXPECT_EQ(h.SecretKey("logs-apikey"), key);
  EXPECT_EQ(h.Status("logs").at("observedGeneration").as_integer(), 2);
  EXPECT_EQ(h.Status("logs").at("scope").as_string(), "namespace");
  LookupResult r = h.index.Lookup(key, h.now);
  ASSERT_EQ(r.status, LookupStatus::kFound);
  // The index decides with the edited rule at once.
  AccessTarget staging;
  staging.namespace_name = "staging";
  AccessTarget prod = staging;
  prod.namespace_name = "prod";
  EXPECT_TRUE(Decide(r.policy->policy, staging).allowed);
  EXPECT_FALSE(Decide(r.policy->policy, prod).allowed);
}

TEST(ApiKeyController, ScopeColumnCountsEveryRule) {
  Harness h;
  h.Apply("logs", "  description: logs\n  access:\n  - {scope: set, namespaces: [a], setType: stateful, sets: [db]}\n"
                  "  - {scope: namespace, namespaces: [b]}\n  - {scope: pod, namespaces: [c], pods: [p]}\n");
  h.Reconcile("logs");
  EXPECT_EQ(h.Status("logs").at("scope").as_string(), "set+2");
}

TEST(ApiKeyStatusScope, TemplateKeysNameTheirTemplate) {
  ApiKeySpec spec;
  spec.template_ref = TemplateRef{kTemplateKind, "logs-reader"};
  EXPECT_EQ(ScopeSummary(spec), "template/logs-reader");
  spec.template_ref = TemplateRef{kClusterTemplateKind, "audit"};
  EXPECT_EQ(ScopeSummary(spec), "clustertemplate/audit");
  spec.template_ref.reset();
  EXPECT_EQ(ScopeSummary(spec), "");
}

TEST(ApiKeyController, DeletedSecretGetsANewKeyAndAnEvent) {
  Harness h;
  h.Apply("logs", kNamespaceSpec);
  h.Reconcile("logs");
  std::string old_key = h.SecretKey("logs-apikey");
  h.kube.Delete(SecretPath("logs-apikey"), {});
  // Noticed at the next periodic Secret check, not on every status event.
  h.now += 1min;
  h.Reconcile("logs");
  EXPECT_TRUE(h.kube.Has(SecretPath("logs-apikey")) == false);
  h.now += 5min;
  h.Reconcile("logs");
  std::string new_key = h.SecretKey("logs-apikey");
  EXPECT_NE(new_key, old_key);
  EXPECT_EQ(h.index.Lookup(old_key, h.now).status, LookupStatus::kUnknown);
  EXPECT_EQ(h.index.Lookup(new_key, h.now).status, LookupStatus::kFound);
  EXPECT_EQ(h.events.reasons.back(), "Minted");
  EXPECT_NE(h.events.messages.back().find("was deleted"), std::string::npos);
}

TEST(ApiKeyController, ExistingSecretFromBeforeACrashIsAdoptedNotOverwritten) {
  Harness h;
  h.Apply("logs", kNamespaceSpec);
  h.Reconcile("logs");
  std::string key = h.SecretKey("logs-apikey");
  // Crash between the Secret create and the status write: status is empty.
  value obj = h.kube.Object(ApiKeyPath("logs"));
  obj.erase("status");
  h.kube.Put(ApiKeyPath("logs"), obj);
  // The process restarts: a new controller with an empty index and no
  // memory of what it verified, over the same API server.
  Harness restarted;
  restarted.kube.Put(ApiKeyPath("logs"), obj);
  restarted.kube.Put(SecretPath("logs-apikey"), h.kube.Object(SecretPath("logs-apikey")));
  Action a = restarted.Reconcile("logs");
  EXPECT_FALSE(a.failed()) << a.error();
  EXPECT_EQ(restarted.SecretKey("logs-apikey"), key);
  EXPECT_EQ(restarted.Status("logs").at("keyHash").as_string(),
            restarted.index.hasher().ToStatus(restarted.index.hasher().Hash(key)));
  EXPECT_EQ(restarted.index.Lookup(key, restarted.now).status, LookupStatus::kFound);
  EXPECT_EQ(restarted.kube.CountCalls("create"), 1);  // tried, got AlreadyExists, adopted
  EXPECT_TRUE(restarted.events.reasons.empty() ||
              restarted.events.reasons.back() != "Minted");  // nothing new was minted
}

TEST(ApiKeyController, ForeignSecretIsAConflictNotOverwritten) {
  Harness h;
  value foreign;
  foreign["metadata"]["name"] = value::string("logs-apikey");
  foreign["data"]["key"] = value::string(Base64Encode("user data"));
  h.kube.Put(SecretPath("logs-apikey"), foreign);
  h.Apply("logs", kNamespaceSpec);
  Action a = h.Reconcile("logs");
  EXPECT_FALSE(a.failed());
  EXPECT_EQ(*Base64Decode(h.kube.Object(SecretPath("logs-apikey")).at("data").at("key").as_string()),
            "user data");
  value status = h.Status("logs");
  EXPECT_EQ(status.at("phase").as_string(), "Pending");
  EXPECT_EQ(status.at("conditions").at(0).at("reason").as_string(), "SecretConflict");
}

TEST(ApiKeyController, DisabledAndExpiredPhases) {
  Harness h;
  h.Apply("logs", std::string(kNamespaceSpec) + "  disabled: true\n");
  h.Reconcile("logs");
  EXPECT_EQ(h.Status("logs").at("phase").as_string(), "Disabled");
  std::string key = h.SecretKey("logs-apikey");
  EXPECT_EQ(h.index.Lookup(key, h.now).status, LookupStatus::kDisabled);
  EXPECT_EQ(h.events.reasons.back(), "Disabled");

  h.Apply("soon", std::string(kNamespaceSpec) + "  expiresAt: '2026-11-22T12:00:05Z'\n");
  Action a = h.Reconcile("soon");
  EXPECT_EQ(h.Status("soon").at("phase").as_string(), "Active");
  ASSERT_EQ(a.kind(), Action::Kind::kRequeue);
  EXPECT_EQ(a.requeue_after(), 5001ms);  // back exactly at expiry
  h.now += 5s;
  h.Reconcile("soon");
  EXPECT_EQ(h.Status("soon").at("phase").as_string(), "Expired");
  EXPECT_EQ(h.events.reasons.back(), "Expired");
}

TEST(ApiKeyController, VolatileKeyLivesOnlyInMemory) {
  Harness h;
  h.Apply("ci", "  description: ci\n  type: volatile\n  ttl: 2h\n"
                "  access: [{scope: namespace, namespaces: [prod]}]\n");
  h.Reconcile("ci");
  EXPECT_FALSE(h.kube.Has(SecretPath("ci-apikey")));
  value status = h.Status("ci");
  EXPECT_EQ(status.at("phase").as_string(), "Active");
  EXPECT_FALSE(status.has_field("keyHash") && !status.at("keyHash").is_null());
  EXPECT_EQ(status.at("expiresAt").as_string(), "2026-11-22T13:00:00Z");  // created + 2h
  auto revealed = h.volatile_keys.Reveal({"team-a", "ci"});
  ASSERT_TRUE(revealed);
  EXPECT_EQ(h.index.Lookup(*revealed, h.now).status, LookupStatus::kFound);
  EXPECT_FALSE(h.volatile_keys.Reveal({"team-a", "ci"}));  // once only
  std::string serialized = h.kube.Object(ApiKeyPath("ci")).serialize();
  EXPECT_EQ(serialized.find(*revealed), std::string::npos);
}

TEST(ApiKeyController, VolatileKeyLostOnRestartIsReminted) {
  Harness h;
  h.Apply("ci", "  description: ci\n  type: volatile\n"
                "  access: [{scope: namespace, namespaces: [prod]}]\n");
  h.Reconcile("ci");
  auto first = h.volatile_keys.Reveal({"team-a", "ci"});
  // "Restart": memory is gone, status remains.
  h.volatile_keys.Erase({"team-a", "ci"});
  h.index.RemoveApiKey({"team-a", "ci"});
  h.Reconcile("ci");
  value ready = h.Status("ci").at("conditions").at(0);
  EXPECT_EQ(ready.at("reason").as_string(), "VolatileKeyLost");
  EXPECT_EQ(h.events.reasons.back(), "VolatileKeyLost");
  auto second = h.volatile_keys.Reveal({"team-a", "ci"});
  ASSERT_TRUE(second);
  EXPECT_NE(*first, *second);
  EXPECT_EQ(h.index.Lookup(*first, h.now).status, LookupStatus::kUnknown);
}

TEST(ApiKeyController, FollowerIndexesTheLeadersVolatileDigestAndKeepsItAsLeader) {
  Harness h;
  h.Apply("ci", "  description: ci\n  type: volatile\n"
                "  access: [{scope: namespace, namespaces: [prod]}]\n");
  h.Reconcile("ci");
  Harness follower;
  follower.leader = false;
  follower.kube.Put(ApiKeyPath("ci"), h.kube.Object(ApiKeyPath("ci")));
  follower.Reconcile("ci");  // nothing learned yet: not indexed, nothing minted
  EXPECT_TRUE(follower.volatile_keys.Snapshot().empty());
  // What the sync hands over: digests only.
  EXPECT_EQ(follower.volatile_keys.AdoptAll(h.volatile_keys.Snapshot()).size(), 1u);
  follower.Reconcile("ci");
  auto key = h.volatile_keys.Reveal({"team-a", "ci"});
  ASSERT_TRUE(key);
  EXPECT_EQ(follower.index.Lookup(*key, follower.now).status, LookupStatus::kFound);
  EXPECT_EQ(follower.kube.CountCalls("patch"), 0);
  EXPECT_EQ(follower.volatile_keys.RevealOnce({"team-a", "ci"}).status,
            VolatileKeyStore::Revealed::Status::kMintedElsewhere);
  // The leader dies; the follower takes over and keeps the key.
  follower.leader = true;
  follower.Reconcile("ci");
  EXPECT_EQ(follower.index.Lookup(*key, follower.now).status, LookupStatus::kFound);
  EXPECT_TRUE(std::find(follower.events.reasons.begin(), follower.events.reasons.end(),
                        "VolatileKeyLost") == follower.events.reasons.end());
  EXPECT_EQ(follower.Status("ci").at("phase").as_string(), "Active");
}

TEST(ApiKeyController, InvalidManifestGetsInvalidPhaseWithFieldPath) {
  Harness h;
  h.Apply("bad", "  description: bad\n  access: [{scope: set, namespaces: [prod], sets: [web]}]\n");
  Action a = h.Reconcile("bad");
  EXPECT_FALSE(a.failed());
  value status = h.Status("bad");
  EXPECT_EQ(status.at("phase").as_string(), "Invalid");
  std::string message = status.at("conditions").at(0).at("message").as_string();
  EXPECT_NE(message.find("spec.access[0].setType"), std::string::npos) << message;
  EXPECT_FALSE(h.kube.Has(SecretPath("bad-apikey")));
  EXPECT_EQ(h.events.reasons.back(), "Invalid");
}

TEST(ApiKeyController, FollowerIndexesFromStatusAndNeverWrites) {
  Harness h;
  h.Apply("logs", kNamespaceSpec);
  h.Reconcile("logs");
  std::string key = h.SecretKey("logs-apikey");
  Harness follower;
  follower.leader = false;
  follower.kube.Put(ApiKeyPath("logs"), h.kube.Object(ApiKeyPath("logs")));
  follower.Reconcile("logs");
  EXPECT_EQ(follower.kube.CountCalls("create"), 0);
  EXPECT_EQ(follower.kube.CountCalls("patch"), 0);
  EXPECT_EQ(follower.kube.CountCalls("get"), 0);
  EXPECT_EQ(follower.index.Lookup(key, follower.now).status, LookupStatus::kFound);
}

TEST(ApiKeyController, DeletedApiKeyIsForgottenAtOnce) {
  Harness h;
  h.Apply("logs", kNamespaceSpec);
  h.Reconcile("logs");
  std::string key = h.SecretKey("logs-apikey");
  h.kube.Delete(ApiKeyPath("logs"), {});
  h.Reconcile("logs");
  EXPECT_EQ(h.index.Lookup(key, h.now).status, LookupStatus::kUnknown);
}

TEST(ApiKeyController, ApiErrorsAreRetriedNotSwallowed) {
  Harness h;
  h.Apply("logs", kNamespaceSpec);
  h.kube.FailNext("create", {500, "InternalError", "etcd timeout"});
  Action a = h.Reconcile("logs");
  EXPECT_TRUE(a.failed());
  EXPECT_NE(a.error().find("InternalError"), std::string::npos) << a.error();
  // A merge patch without a resourceVersion never gets 409 from a real API
  // server; a 429 (priority and fairness) or a 503 does.
  h.kube.FailNext("patch", {429, "TooManyRequests", "the server has received too many requests"});
  EXPECT_TRUE(h.Reconcile("logs").failed());
  EXPECT_FALSE(h.Reconcile("logs").failed());
  EXPECT_EQ(h.Status("logs").at("phase").as_string(), "Active");
}

}  // namespace
}  // namespace keyward

namespace keyward {
namespace {

TEST(ApiKeyControllerRotation, PeriodicRotationKeepsOldKeyForTheOverlap) {
  Harness h;
  h.Apply("rot", std::string(kNamespaceSpec) + "  rotation: {every: 2h, overlap: 10m}\n");
  Action first = h.Reconcile("rot");
  std::string old_key = h.SecretKey("rot-apikey");
  ASSERT_EQ(first.kind(), Action::Kind::kRequeue);
  // Created 11:00, minted 12:00: due at 14:00, two hours after the key was
  // minted (the Secret check comes sooner).
  EXPECT_LE(first.requeue_after(), 7200001ms);
  h.now += 2h;  // 14:00
  h.Reconcile("rot");
  std::string new_key = h.SecretKey("rot-apikey");
  ASSERT_NE(new_key, old_key);
  value status = h.Status("rot");
  EXPECT_EQ(status.at("keyHash").as_string(), h.index.hasher().ToStatus(h.index.hasher().Hash(new_key)));
  EXPECT_EQ(status.at("previousKey").at("keyHash").as_string(),
            h.index.hasher().ToStatus(h.index.hasher().Hash(old_key)));
  EXPECT_EQ(status.at("previousKey").at("validUntil").as_string(), "2026-11-22T14:10:00Z");
  EXPECT_EQ(status.at("lastRotatedAt").as_string(), "2026-11-22T14:00:00Z");
  EXPECT_EQ(status.at("conditions").at(0).at("reason").as_string(), "Rotated");
  EXPECT_EQ(h.events.reasons.back(), "Rotated");
  EXPECT_EQ(h.index.Lookup(old_key, h.now + 9min).status, LookupStatus::kFound);
  EXPECT_EQ(h.index.Lookup(old_key, h.now + 10min).status, LookupStatus::kExpired);
  EXPECT_EQ(h.index.Lookup(new_key, h.now + 10min).status, LookupStatus::kFound);

  // After the overlap the old key leaves the index and status.
  h.now += 11min;
  h.Reconcile("rot");
  EXPECT_EQ(h.index.Lookup(old_key, h.now).status, LookupStatus::kUnknown);
  EXPECT_FALSE(h.Status("rot").has_field("previousKey"));
  // Not rotated again before the next interval.
  EXPECT_EQ(h.SecretKey("rot-apikey"), new_key);
}

TEST(ApiKeyControllerRotation, AnnotationRequestsOneRotation) {
  Harness h;
  h.Apply("ask", kNamespaceSpec);
  h.Reconcile("ask");
  std::string old_key = h.SecretKey("ask-apikey");
  value obj = h.kube.Object(ApiKeyPath("ask"));
  obj["metadata"]["annotations"]["keyward.io/rotate-requested-at"] =
      value::string("2026-11-22T12:00:20Z");  // after the key was minted at 12:00
  h.kube.Put(ApiKeyPath("ask"), obj);
  h.now += 30s;
  h.Reconcile("ask");
  std::string new_key = h.SecretKey("ask-apikey");
  EXPECT_NE(new_key, old_key);
  EXPECT_EQ(h.index.Lookup(old_key, h.now + 59min).status, LookupStatus::kFound);  // default 1h
  // The same request does not rotate twice.
  h.now += 2min;
  h.Reconcile("ask");
  EXPECT_EQ(h.SecretKey("ask-apikey"), new_key);
}

TEST(ApiKeyControllerRotation, VolatileRotationStaysInMemory) {
  Harness h;
  h.Apply("vr", "  description: v\n  type: volatile\n  rotation: {every: 1h, overlap: 5m}\n"
                "  access: [{scope: namespace, namespaces: [prod]}]\n");
  h.Reconcile("vr");
  auto first = h.volatile_keys.Reveal({"team-a", "vr"});
  h.now += 1h;
  h.Reconcile("vr");
  auto second = h.volatile_keys.Reveal({"team-a", "vr"});
  ASSERT_TRUE(first && second);
  EXPECT_NE(*first, *second);
  EXPECT_EQ(h.index.Lookup(*first, h.now + 4min).status, LookupStatus::kFound);
  EXPECT_EQ(h.index.Lookup(*first, h.now + 5min).status, LookupStatus::kExpired);
  value status = h.Status("vr");
  EXPECT_FALSE(status.has_field("previousKey") && status.at("previousKey").has_field("keyHash"));
  EXPECT_EQ(h.kube.Object(ApiKeyPath("vr")).serialize().find(*second), std::string::npos);
}

}  // namespace
}  // namespace keyward

namespace keyward {
namespace {

TEST(ApiKeyController, SecretChecksOverTheirBudgetArePutOffNotQueued) {
  RateLimiter budget(0.01, 1);  // one check, then one per 100 s
  Harness h([&](ControllerEnv& env) { env.secret_checks = &budget; });
  h.Apply("a", kNamespaceSpec);
  h.Apply("b", kNamespaceSpec);
  h.Reconcile("a");  // first mints need no check
  h.Reconcile("b");
  const std::string key_b = h.SecretKey("b-apikey");
  h.now += 6min;  // both are due for their periodic check
  int gets = h.kube.CountCalls("get");
  EXPECT_FALSE(h.Reconcile("a").failed());
  EXPECT_EQ(h.kube.CountCalls("get"), gets + 1);  // a's check took the budget
  Action b = h.Reconcile("b");
  EXPECT_EQ(h.kube.CountCalls("get"), gets + 1);  // b's is put off, not sent
  ASSERT_EQ(b.kind(), Action::Kind::kRequeue);
  EXPECT_GT(b.requeue_after(), 1s);
  EXPECT_LE(b.requeue_after(), 101s);
  EXPECT_EQ(h.index.Lookup(key_b, h.now).status, LookupStatus::kFound);  // served from status
  EXPECT_EQ(h.Status("b").at("phase").as_string(), "Active");
}

}  // namespace
}  // namespace keyward

namespace keyward {
namespace {

TEST(ApiKeyController, KeysOverTheCheckBudgetTakeTurnsInsteadOfAllComingBackAtOnce) {
  RateLimiter budget(1, 1);  // one check a second
  Harness h([&](ControllerEnv& env) { env.secret_checks = &budget; });
  const std::vector<std::string> names = {"a", "b", "c", "d", "e"};
  for (const auto& n : names) {
    h.Apply(n, kNamespaceSpec);
    h.Reconcile(n);
  }
  h.now += 6min;  // every key's periodic check is due
  std::vector<std::chrono::milliseconds> after;
  for (const auto& n : names) {
    Action a = h.Reconcile(n);
    after.push_back(a.kind() == Action::Kind::kRequeue ? a.requeue_after() : 0ms);
  }
  // Before: every deferred key came back after ~1 s, for the same token,
  // and all but one were put off again (10,000 keys: 10,000 wake-ups a
  // second). Now each has its own place: ~1 s, ~2 s, ~3 s, ~4 s.
  for (std::size_t i = 2; i < after.size(); ++i) {
    EXPECT_GE(after[i] - after[i - 1], 900ms) << names[i];
    EXPECT_LE(after[i] - after[i - 1], 1100ms) << names[i];
  }
  // Woken early by an event, a key keeps its place and takes no other.
  Action again = h.Reconcile("c");
  ASSERT_EQ(again.kind(), Action::Kind::kRequeue);
  EXPECT_LE(again.requeue_after(), after[2]);
  h.Apply("f", kNamespaceSpec);
  h.Reconcile("f");
  h.now += 6min;
  Action f = h.Reconcile("f");
  ASSERT_EQ(f.kind(), Action::Kind::kRequeue);
  EXPECT_GE(f.requeue_after(), after[4] + 900ms);
}

}  // namespace
}  // namespace keyward
