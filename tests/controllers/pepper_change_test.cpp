// Digests name the pepper that made them: a replaced pepper Secret never
// silently turns every permanent key into "unknown", and a pepper can be
// rotated with the old one still live (faults issue, item 5).
#include <gtest/gtest.h>

#include "controllers/apikey_status.h"
#include "controllers/controller_harness.h"

namespace keyward {
namespace {

const char* const kHourly = kHourlySpec;
const std::string kNewPepper = "a-new-pepper-after-a-reinstall-0123456789";

// A process that starts on |h|'s objects with other peppers.
void CopyObjects(Harness& from, Harness& to, const std::string& name) {
  to.now = from.now;
  to.kube.Put(ApiKeyPath(name), from.kube.Object(ApiKeyPath(name)));
  to.kube.Put(SecretPath(name + "-apikey"), from.kube.Object(SecretPath(name + "-apikey")));
}

const Condition* PepperCondition(Harness& h, const std::string& name) {
  static ApiKey parsed;
  FieldErrors ignored;
  parsed = ParseApiKey(h.kube.Object(ApiKeyPath(name)), &ignored);
  return FindCondition(parsed.status, kPepperChangedCondition);
}

int Count(const std::vector<std::string>& v, const std::string& what) {
  return static_cast<int>(std::count(v.begin(), v.end(), what));
}

TEST(PepperChange, ALostPepperIsReDerivedFromTheSecretAndSaidLoudly) {
  Harness before;
  before.Apply("logs", kHourly);
  before.Reconcile("logs");
  const std::string key = before.SecretKey("logs-apikey");

  // The operator's namespace was deleted and reinstalled: a new pepper.
  Harness after(kNewPepper, "");
  CopyObjects(before, after, "logs");
  EXPECT_EQ(after.index.Lookup(key, after.now).status, LookupStatus::kUnknown);
  ASSERT_FALSE(after.Reconcile("logs").failed());
  // Before the fix: status kept the old digest and every check said unknown.
  EXPECT_EQ(after.index.Lookup(key, after.now).status, LookupStatus::kFound);
  EXPECT_EQ(after.Status("logs").at("keyHash").as_string(),
            after.index.hasher().ToStatus(after.index.hasher().Hash(key)));
  EXPECT_EQ(after.SecretKey("logs-apikey"), key);  // the same key: nothing for users to do
  EXPECT_EQ(Count(after.events.reasons, "PepperChanged"), 1);
  const Condition* c = PepperCondition(after, "logs");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->status, "True");
  EXPECT_EQ(c->reason, "Rederived");
  EXPECT_NE(c->message.find(before.index.hasher().id()), std::string::npos);
  EXPECT_EQ(c->message.find(key), std::string::npos);

  // Said once, not on every reconcile; the next rotation clears it.
  after.Reconcile("logs");
  EXPECT_EQ(Count(after.events.reasons, "PepperChanged"), 1);
  after.now += 1h + 1s;
  ASSERT_FALSE(after.Reconcile("logs").failed());
  EXPECT_NE(after.SecretKey("logs-apikey"), key);
  EXPECT_EQ(PepperCondition(after, "logs"), nullptr);
}

TEST(PepperChange, AFollowerNeverIndexesADigestOfAPepperItDoesNotHold) {
  Harness before;
  before.Apply("logs", kHourly);
  before.Reconcile("logs");
  const std::string key = before.SecretKey("logs-apikey");
  Harness follower(kNewPepper, "");
  CopyObjects(before, follower, "logs");
  follower.leader = false;
  follower.Reconcile("logs");
  EXPECT_TRUE(follower.index.KeysOf({"team-a", "logs"}).empty());
  EXPECT_EQ(follower.kube.CountCalls("PATCH"), 0);
}

TEST(PepperChange, APreviousPepperKeepsEveryKeyAndItsOverlapQuietly) {
  Harness before;
  before.Apply("logs", kHourly);
  before.Reconcile("logs");
  const std::string k1 = before.SecretKey("logs-apikey");
  before.now += 1h + 1s;
  before.Reconcile("logs");  // rotates: k1 valid for 10 more minutes
  const std::string k2 = before.SecretKey("logs-apikey");

  // The pepper is rotated: a new current one, the old one as previous.
  Harness after(kNewPepper, Harness::kPepper);
  CopyObjects(before, after, "logs");
  after.now += 1min;
  ASSERT_FALSE(after.Reconcile("logs").failed());
  EXPECT_EQ(after.index.Lookup(k1, after.now).status, LookupStatus::kFound);
  EXPECT_EQ(after.index.Lookup(k2, after.now).status, LookupStatus::kFound);
  EXPECT_EQ(after.SecretKey("logs-apikey"), k2);  // no rotation
  // The current key moves to the new pepper; the previous keeps its own.
  value status = after.Status("logs");
  EXPECT_EQ(status.at("keyHash").as_string(), after.index.hasher().ToStatus(after.index.hasher().Hash(k2)));
  EXPECT_EQ(status.at("previousKey").at("keyHash").as_string(),
            before.index.hasher().ToStatus(before.index.hasher().Hash(k1)));
  EXPECT_EQ(Count(after.events.reasons, "PepperChanged"), 0);
  // A follower holding both peppers agrees.
  Harness follower(kNewPepper, Harness::kPepper);
  CopyObjects(after, follower, "logs");
  follower.leader = false;
  follower.Reconcile("logs");
  EXPECT_EQ(follower.index.Lookup(k1, follower.now).status, LookupStatus::kFound);
  EXPECT_EQ(follower.index.Lookup(k2, follower.now).status, LookupStatus::kFound);
}

TEST(PepperChange, AStatusFromBeforePepperIdsIsRewrittenQuietly) {
  Harness h;
  h.Apply("logs", kHourly);
  h.Reconcile("logs");
  const std::string key = h.SecretKey("logs-apikey");
  value obj = h.kube.Object(ApiKeyPath("logs"));
  std::string with_id = obj["status"]["keyHash"].as_string();
  std::string legacy = "hmac-sha256:" + with_id.substr(with_id.rfind(':') + 1);
  obj["status"]["keyHash"] = value::string(legacy);
  h.kube.Put(ApiKeyPath("logs"), obj);
  Harness restarted;
  CopyObjects(h, restarted, "logs");
  ASSERT_FALSE(restarted.Reconcile("logs").failed());
  EXPECT_EQ(restarted.Status("logs").at("keyHash").as_string(), with_id);
  EXPECT_EQ(restarted.index.Lookup(key, restarted.now).status, LookupStatus::kFound);
  EXPECT_EQ(Count(restarted.events.reasons, "PepperChanged"), 0);
  EXPECT_EQ(Count(restarted.events.reasons, "KeyHashMismatch"), 0);
}

}  // namespace
}  // namespace keyward
