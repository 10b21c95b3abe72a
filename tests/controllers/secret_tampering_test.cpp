// The controller against a tenant who edits its own Secrets, and against a
// Secret name taken over after a deletion (faults issue, items 6 and 7).
#include <gtest/gtest.h>

#include "api/apikey_policy.h"
#include "controllers/controller_harness.h"
#include "controllers/key_secret.h"

namespace keyward {
namespace {

const char* kSpecA = "  description: a\n  access: [{scope: namespace, namespaces: [prod]}]\n";
const char* kSpecB = "  description: b\n  access: [{scope: cluster}]\n";

void PatchSecret(Harness& h, const std::string& name, const std::function<void(value&)>& edit) {
  value s = h.kube.Object(SecretPath(name));
  edit(s);
  h.kube.Put(SecretPath(name), s);
}

bool Has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

TEST(SecretTampering, AKeyHashAnnotationCopiedFromAnotherApiKeyIsIgnored) {
  Harness h;
  h.Apply("a", kSpecA);
  h.Apply("b", kSpecB);
  h.Reconcile("a");
  h.Reconcile("b");
  const std::string key_a = h.SecretKey("a-apikey"), key_b = h.SecretKey("b-apikey");
  const std::string hash_a = h.Status("a").at("keyHash").as_string();
  PatchSecret(h, "b-apikey", [&](value& s) {
    s["metadata"]["annotations"][kKeyHashAnnotation] = value::string(hash_a);
  });
  h.now += 6min;  // the next periodic Secret check reads it
  h.Reconcile("b");
  // Before: b's status took a's hash and a's key was decided under b's
  // cluster-wide policy.
  EXPECT_EQ(h.index.Lookup(key_a, h.now).policy->ref.name, "a");
  EXPECT_EQ(h.index.Lookup(key_b, h.now).policy->ref.name, "b");
  EXPECT_EQ(h.Status("b").at("keyHash").as_string(), h.index.hasher().ToStatus(h.index.hasher().Hash(key_b)));
  EXPECT_TRUE(Has(h.events.reasons, "KeyHashMismatch"));
}

TEST(SecretTampering, AKeyCopiedIntoAnotherSecretStaysWithItsFirstApiKey) {
  Harness h;
  h.Apply("a", kSpecA);
  h.Apply("b", kSpecB);
  h.Reconcile("a");
  h.Reconcile("b");
  const std::string key_a = h.SecretKey("a-apikey"), key_b = h.SecretKey("b-apikey");
  value a_secret = h.kube.Object(SecretPath("a-apikey"));
  PatchSecret(h, "b-apikey", [&](value& s) {
    s["data"]["key"] = a_secret.at("data").at("key");
    s["metadata"]["annotations"] = a_secret.at("metadata").at("annotations");
  });
  h.now += 6min;
  h.Reconcile("b");
  EXPECT_EQ(h.index.Lookup(key_a, h.now).policy->ref.name, "a");
  EXPECT_EQ(h.index.Lookup(key_b, h.now).status, LookupStatus::kUnknown);
  value status = h.Status("b");
  EXPECT_EQ(status.at("phase").as_string(), "Pending");
  EXPECT_EQ(status.at("conditions").at(0).at("reason").as_string(), "SecretConflict");
  EXPECT_FALSE(status.has_field("keyHash") && !status.at("keyHash").as_string().empty());
  EXPECT_TRUE(Has(h.events.reasons, "SecretConflict"));
  for (const auto& m : h.events.messages) EXPECT_EQ(m.find(key_a), std::string::npos);
}

TEST(SecretRevocation, AForeignSecretInTheDeletedOnesPlaceClearsTheKeyFromStatus) {
  Harness h;
  h.Apply("a", kSpecA);
  h.Reconcile("a");
  const std::string old_key = h.SecretKey("a-apikey");
  h.kube.Delete(SecretPath("a-apikey"), {});
  value foreign;
  foreign["metadata"]["name"] = value::string("a-apikey");
  foreign["data"]["key"] = value::string(Base64Encode("not keyward's"));
  h.kube.Put(SecretPath("a-apikey"), foreign);
  h.now += 6min;
  h.Reconcile("a");
  value status = h.Status("a");
  EXPECT_EQ(status.at("phase").as_string(), "Pending");
  for (const char* field : {"keyHash", "keyHint", "previousKeyHash"}) {
    EXPECT_TRUE(!status.has_field(field) || status.at(field).as_string().empty()) << field;
  }
  // A follower indexes from status alone: before, it kept the old key.
  FieldErrors ignored;
  ApiKey seen = ParseApiKey(h.kube.Object(ApiKeyPath("a")), &ignored);
  KeyIndex follower("pepper-for-tests-0123456789abcdef");
  EXPECT_FALSE(IndexFromStatus(seen, &follower, h.now));
  EXPECT_EQ(follower.Lookup(old_key, h.now).status, LookupStatus::kUnknown);
  EXPECT_EQ(h.index.Lookup(old_key, h.now).status, LookupStatus::kUnknown);
}

TEST(SecretRevocation, ARecreatedApiKeyRetriesSoonWhileItsOldSecretIsCollected) {
  Harness h;
  // The Secret of an earlier ApiKey "a" (another uid), not yet collected.
  value old;
  old["metadata"]["name"] = value::string("a-apikey");
  value owner;
  owner["apiVersion"] = value::string(kApiVersion);
  owner["kind"] = value::string(kKind);
  owner["name"] = value::string("a");
  owner["uid"] = value::string("uid-of-the-deleted-one");
  old["metadata"]["ownerReferences"] = value::array({owner});
  h.kube.Put(SecretPath("a-apikey"), old);
  h.Apply("a", kSpecA);
  Action waiting = h.Reconcile("a");
  // A retry with backoff (milliseconds to seconds), not the 5-minute check.
  ASSERT_TRUE(waiting.failed());
  EXPECT_NE(waiting.error().find("garbage collector"), std::string::npos) << waiting.error();
  h.kube.Delete(SecretPath("a-apikey"), {});
  EXPECT_FALSE(h.Reconcile("a").failed());
  EXPECT_EQ(h.Status("a").at("phase").as_string(), "Active");
}

TEST(OperatorNamespace, AnApiKeyInKeywardsOwnNamespaceIsNeverMinted) {
  // The webhooks skip keyward's namespace: no escalation check, limit or
  // creator stamp ran for this key, so it gets no key at all.
  Harness h([](ControllerEnv& env) { env.operator_namespace = "team-a"; });
  h.Apply("wide", kSpecB);
  EXPECT_FALSE(h.Reconcile("wide").failed());
  EXPECT_FALSE(h.kube.Has(SecretPath("wide-apikey")));
  value status = h.Status("wide");
  EXPECT_EQ(status.at("phase").as_string(), "Invalid");
  value ready = status.at("conditions").at(0);
  EXPECT_EQ(ready.at("status").as_string(), "False");
  EXPECT_EQ(ready.at("reason").as_string(), "OperatorNamespace");
  EXPECT_NE(ready.at("message").as_string().find("its own namespace team-a"), std::string::npos);
  EXPECT_TRUE(Has(h.events.reasons, "OperatorNamespace"));
  // Elsewhere the same spec is minted.
  Harness other([](ControllerEnv& env) { env.operator_namespace = "keyward-system"; });
  other.Apply("wide", kSpecB);
  other.Reconcile("wide");
  EXPECT_TRUE(other.kube.Has(SecretPath("wide-apikey")));
}

}  // namespace
}  // namespace keyward
