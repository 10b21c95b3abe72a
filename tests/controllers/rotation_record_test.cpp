// Rotation is recorded on the Secret in the same write as the new key, so a
// cache that lags behind our own writes, or a rotation request with
// sub-second precision, never rotates twice (faults issue, item 4).
#include <gtest/gtest.h>

#include "controllers/controller_harness.h"
#include "controllers/key_secret.h"

namespace keyward {
namespace {

const char* const kHourly = kHourlySpec;

TEST(RotationRecord, ACacheThatLagsBehindTheRotationDoesNotRotateAgain) {
  Harness h;
  h.Apply("logs", kHourly);
  h.Reconcile("logs");
  const std::string k1 = h.SecretKey("logs-apikey");
  h.Freeze("logs");  // the watch will not show our next status write
  h.now += 1h + 1s;
  ASSERT_FALSE(h.Reconcile("logs").failed());
  const std::string k2 = h.SecretKey("logs-apikey");
  ASSERT_NE(k2, k1);
  // The requeue reads the stale object: status still says K1, born 1 h ago.
  // Before: it rotated again (K3), and K1 lost its overlap.
  h.now += 1s;
  ASSERT_FALSE(h.Reconcile("logs").failed());
  EXPECT_EQ(h.SecretKey("logs-apikey"), k2);
  EXPECT_EQ(h.index.Lookup(k1, h.now).status, LookupStatus::kFound);  // within its overlap
  EXPECT_EQ(h.index.Lookup(k2, h.now).status, LookupStatus::kFound);
  value status = h.Status("logs");
  EXPECT_EQ(status.at("keyHash").as_string(), h.index.hasher().ToStatus(h.index.hasher().Hash(k2)));
  EXPECT_EQ(status.at("previousKey").at("keyHash").as_string(),
            h.index.hasher().ToStatus(h.index.hasher().Hash(k1)));
  h.Thaw();
  h.Reconcile("logs");
  EXPECT_EQ(h.SecretKey("logs-apikey"), k2);
}

TEST(RotationRecord, AFreshProcessReadsTheRecordFromTheSecret) {
  Harness h;
  h.Apply("logs", kHourly);
  h.Reconcile("logs");
  const std::string k1 = h.SecretKey("logs-apikey");
  h.now += 1h + 1s;
  h.Freeze("logs");
  h.Reconcile("logs");  // rotates; status write not seen by the cache
  const std::string k2 = h.SecretKey("logs-apikey");
  // The operator restarts before the cache catches up: no memory at all.
  Harness restarted;
  restarted.now = h.now + 2s;
  restarted.kube.Put(ApiKeyPath("logs"), h.frozen.at("team-a/logs"));
  restarted.kube.Put(SecretPath("logs-apikey"), h.kube.Object(SecretPath("logs-apikey")));
  ASSERT_FALSE(restarted.Reconcile("logs").failed());
  EXPECT_EQ(restarted.SecretKey("logs-apikey"), k2);
  EXPECT_EQ(restarted.index.Lookup(k1, restarted.now).status, LookupStatus::kFound);
  EXPECT_EQ(restarted.Status("logs").at("previousKey").at("keyHash").as_string(),
            restarted.index.hasher().ToStatus(restarted.index.hasher().Hash(k1)));
}

TEST(RotationRecord, ASubSecondRotationRequestRotatesOnce) {
  Harness h;
  h.Apply("logs", "  description: logs\n  access: [{scope: namespace, namespaces: [prod]}]\n");
  h.Reconcile("logs");
  const std::string k1 = h.SecretKey("logs-apikey");
  value obj = h.kube.Object(ApiKeyPath("logs"));
  obj["metadata"]["annotations"][kRotateRequestedAnnotation] = value::string("2026-11-22T12:00:00.500Z");
  h.kube.Put(ApiKeyPath("logs"), obj);
  h.now += 700ms;
  h.Reconcile("logs");
  const std::string k2 = h.SecretKey("logs-apikey");
  ASSERT_NE(k2, k1);
  // Before: the new key was born "12:00:00" (status has whole seconds), the
  // request at .500 looked newer, and every reconcile that second rotated.
  for (int i = 0; i < 3; ++i) {
    h.now += 100ms;
    h.Reconcile("logs");
  }
  EXPECT_EQ(h.SecretKey("logs-apikey"), k2);
  value secret = h.kube.Object(SecretPath("logs-apikey"));
  EXPECT_EQ(secret.at("metadata").at("annotations").at(kMintedAtAnnotation).as_string(),
            "2026-11-22T12:00:00.700000Z");
}

TEST(RotationRecord, AnEditedOverlapAnnotationCannotKeepTheOldKeyAlive) {
  Harness h;
  h.Apply("logs", kHourly);
  h.Reconcile("logs");
  const std::string k1 = h.SecretKey("logs-apikey");
  h.now += 1h + 1s;
  h.Reconcile("logs");
  value secret = h.kube.Object(SecretPath("logs-apikey"));
  secret["metadata"]["annotations"][kPreviousValidUntilAnnotation] = value::string("2099-01-01T00:00:00Z");
  h.kube.Put(SecretPath("logs-apikey"), secret);
  h.now += 11min;  // past the 10 m overlap; the next periodic check reads the edit
  h.Reconcile("logs");
  EXPECT_EQ(h.index.Lookup(k1, h.now).status, LookupStatus::kUnknown);
}

// A Secret editor plants another key's digest (a deleted ApiKey's, say) as
// "the previous key": this ApiKey's status never showed it, so it does not
// count. Before, it was accepted for the overlap.
TEST(RotationRecord, APlantedPreviousKeyIsNotAccepted) {
  Harness h;
  h.Apply("logs", kHourly);
  h.Reconcile("logs");
  const std::string own = h.SecretKey("logs-apikey");
  const std::string planted = MintKey();
  value secret = h.kube.Object(SecretPath("logs-apikey"));
  value& notes = secret["metadata"]["annotations"];
  notes[kPreviousKeyHashAnnotation] = value::string(h.index.hasher().ToStatus(h.index.hasher().Hash(planted)));
  notes[kPreviousValidUntilAnnotation] = value::string(FormatRfc3339(h.now + 1h));
  h.now += 6min;  // the next Secret check reads the edit
  notes[kMintedAtAnnotation] = value::string(FormatRfc3339(h.now));
  h.kube.Put(SecretPath("logs-apikey"), secret);
  ASSERT_FALSE(h.Reconcile("logs").failed());
  EXPECT_EQ(h.index.Lookup(planted, h.now).status, LookupStatus::kUnknown);
  EXPECT_EQ(h.index.Lookup(own, h.now).status, LookupStatus::kFound);
}

// A minted-at far in the future would postpone rotation for ever; it
// counts as now, so the key still rotates within one period of the edit.
TEST(RotationRecord, AFutureMintedAtCannotStopRotation) {
  Harness h;
  h.Apply("logs", kHourly);
  h.Reconcile("logs");
  const std::string k1 = h.SecretKey("logs-apikey");
  value secret = h.kube.Object(SecretPath("logs-apikey"));
  secret["metadata"]["annotations"][kMintedAtAnnotation] = value::string("2099-01-01T00:00:00Z");
  h.kube.Put(SecretPath("logs-apikey"), secret);
  h.now += 6min;
  h.Reconcile("logs");
  h.now += 1h + 1s;
  h.Reconcile("logs");
  EXPECT_NE(h.SecretKey("logs-apikey"), k1);
}

}  // namespace
}  // namespace keyward
