#include "replicas/replica_sync.h"

#include <gtest/gtest.h>

#include <map>

#include "keys/key_format.h"
#include "replicas/peer_hub.h"
#include "replicas/peer_messages.h"

namespace keyward {
namespace {

const TimePoint kNow = *ParseRfc3339("2026-12-06T12:00:00Z");
const std::string kPepper(32, 'p');
const Limits kPerDay100{std::nullopt, 100, std::nullopt};
const ApiKeyRef kRef{"team-a", "ci"};

// Routes a follower's POST to the hub of the replica at that address; can
// lose the answer (the hub still took the request) or refuse to connect.
class LoopbackTransport : public PeerTransport {
 public:
  PeerReply Post(const std::string& address, const std::string& path, const std::string& body) override {
    ++posts;
    if (unreachable) return {0, "", "connection refused"};
    PeerHub* hub = hubs.at(address);
    HttpRequest req;
    req.method = "POST";
    req.path = path;
    req.body = body;
    HttpResponse r = hub->Handle(req);
    if (lose_answer) return {0, "", "timed out"};
    return {r.status, r.body, ""};
  }
  std::map<std::string, PeerHub*> hubs;
  bool unreachable = false, lose_answer = false;
  int posts = 0;
};

// One replica: its books, hub and sync loop, leadership set by the test.
struct Replica {
  Replica(const std::string& name, LoopbackTransport* transport, const std::string* leader_name)
      : name(name), hasher(kPepper),
        hub(quotas, volatile_keys, hasher.id(), name, [this] { return *leader == this->name; }),
        leader(leader_name) {
    transport->hubs[name + ":8444"] = &hub;
    ReplicaSyncEnv env;
    env.identity = name;
    env.pepper_id = hasher.id();
    env.quotas = &quotas;
    env.volatile_keys = &volatile_keys;
    env.transport = transport;
    env.hub = &hub;
    env.is_leader = [this] { return *leader == this->name; };
    env.holder = [this] { return LeaseHolder{*leader, *leader + ":8444"}; };
    env.volatile_changed = [this](const ApiKeyRef& ref) { changed.push_back(ref); };
    env.clock = [this] { return steady; };
    sync = std::make_unique<ReplicaSync>(env);
  }
  int Consume(int n) {
    int allowed = 0;
    for (int i = 0; i < n; ++i) allowed += quotas.TryConsume(kRef, kPerDay100, kNow).allowed;
    return allowed;
  }
  std::int64_t Total() {
    std::uint64_t v;
    for (const auto& r : quotas.ChangedSince(0, &v)) {
      if (r.ref == kRef) return r.counts.total;
    }
    return 0;
  }

  std::string name;
  KeyHasher hasher;
  QuotaBook quotas;
  VolatileKeyStore volatile_keys;
  PeerHub hub;
  const std::string* leader;
  std::vector<ApiKeyRef> changed;
  std::chrono::steady_clock::time_point steady{std::chrono::seconds(1000)};
  std::unique_ptr<ReplicaSync> sync;
};

struct Cluster {
  LoopbackTransport transport;
  std::string leader = "a";
  Replica a{"a", &transport, &leader}, b{"b", &transport, &leader}, c{"c", &transport, &leader};
  void SyncAll() {
    for (Replica* r : {&a, &b, &c}) r->sync->SyncOnce();
  }
};

TEST(ReplicaSync, FollowersLearnVolatileDigestsNeverValues) {
  Cluster cl;
  cl.a.volatile_keys.Put(kRef, "uid-1", MintKey(), cl.a.hasher, kNow);
  cl.SyncAll();
  ASSERT_EQ(cl.b.changed.size(), 1u);
  EXPECT_EQ(cl.b.changed[0], kRef);
  auto learned = cl.b.volatile_keys.Get(kRef, "uid-1");
  ASSERT_TRUE(learned);
  EXPECT_TRUE(DigestsEqual(learned->digest, cl.a.volatile_keys.Get(kRef, "uid-1")->digest));
  EXPECT_FALSE(learned->minted_here);
  EXPECT_EQ(cl.b.volatile_keys.RevealOnce(kRef).status,
            VolatileKeyStore::Revealed::Status::kMintedElsewhere);
  // Unchanged: not sent again, nothing re-queued.
  cl.b.changed.clear();
  cl.SyncAll();
  EXPECT_TRUE(cl.b.changed.empty());
  // Deleted on the leader: gone from the followers.
  cl.a.volatile_keys.Erase(kRef);
  cl.SyncAll();
  EXPECT_FALSE(cl.c.volatile_keys.Get(kRef, "uid-1"));
  EXPECT_EQ(cl.c.changed.size(), 2u);
}

TEST(ReplicaSync, UsageFromEveryReplicaReachesTheLeaderOnce) {
  Cluster cl;
  cl.SyncAll();  // handshakes
  EXPECT_EQ(cl.a.Consume(3) + cl.b.Consume(5) + cl.c.Consume(2), 10);
  cl.SyncAll();
  EXPECT_EQ(cl.a.Total(), 10);
  cl.SyncAll();  // nothing new: nothing added
  EXPECT_EQ(cl.a.Total(), 10);
  // The followers count from the cluster's total, their own on top.
  EXPECT_EQ(cl.b.quotas.Peek(kRef, kPerDay100, kNow).remaining_day, 90);
  cl.b.Consume(1);
  EXPECT_EQ(cl.b.quotas.Peek(kRef, kPerDay100, kNow).remaining_day, 89);
}

TEST(ReplicaSync, ALostAnswerIsNotCountedTwice) {
  Cluster cl;
  cl.SyncAll();
  cl.b.Consume(4);
  cl.transport.lose_answer = true;
  EXPECT_FALSE(cl.b.sync->SyncOnce());  // the leader took it; b does not know
  cl.transport.lose_answer = false;
  EXPECT_TRUE(cl.b.sync->SyncOnce());   // sent again: cumulative, so nothing doubles
  EXPECT_EQ(cl.a.Total(), 4);
  EXPECT_TRUE(cl.b.quotas.PrepareReport().empty());
}

TEST(ReplicaSync, DayQuotaHoldsAcrossReplicasWithinOneSync) {
  Cluster cl;
  cl.SyncAll();
  int allowed = 0;
  // Round robin, a sync after every 10 requests per replica.
  for (int round = 0; round < 20; ++round) {
    for (Replica* r : {&cl.a, &cl.b, &cl.c}) allowed += r->Consume(10);
    cl.SyncAll();
    cl.SyncAll();  // a follower learns the others' counts in the sync after they reached the leader
  }
  EXPECT_GE(allowed, 100);
  EXPECT_LE(allowed, 100 + 2 * 10);  // at most what the others allowed since the last sync
  EXPECT_EQ(cl.a.Total(), allowed);
}

TEST(ReplicaSync, ANewLeaderStartsANewEpochAndKeepsTheCounts) {
  Cluster cl;
  cl.SyncAll();
  cl.b.Consume(5);
  cl.c.Consume(5);
  cl.SyncAll();
  cl.SyncAll();
  ASSERT_EQ(cl.b.Total(), 10);  // b knows the cluster's count
  cl.leader = "b";              // a is gone
  cl.transport.hubs.erase("a:8444");
  cl.c.Consume(1);
  cl.b.sync->SyncOnce();
  cl.c.sync->SyncOnce();  // 409, new epoch, reports only what b has not had
  EXPECT_EQ(cl.b.Total(), 11);
  cl.b.Consume(1);
  cl.c.sync->SyncOnce();
  EXPECT_EQ(cl.b.Total(), 12);
  EXPECT_EQ(cl.c.Total(), 12);
}

TEST(ReplicaSync, AFollowerThatCannotReachTheLeaderSaysWhy) {
  Cluster cl;
  EXPECT_FALSE(cl.a.sync->VolatileGap());  // the leader holds every key
  cl.transport.unreachable = true;
  EXPECT_FALSE(cl.b.sync->SyncOnce());
  auto gap = cl.b.sync->VolatileGap();
  ASSERT_TRUE(gap);
  EXPECT_NE(gap->find("not synced with the leader yet"), std::string::npos) << *gap;
  EXPECT_NE(gap->find("cannot reach the leader a at a:8444: connection refused"), std::string::npos) << *gap;
  cl.transport.unreachable = false;
  EXPECT_TRUE(cl.b.sync->SyncOnce());
  EXPECT_FALSE(cl.b.sync->VolatileGap());
  cl.transport.unreachable = true;
  cl.b.steady += std::chrono::seconds(5);
  cl.b.sync->SyncOnce();
  gap = cl.b.sync->VolatileGap();
  ASSERT_TRUE(gap);
  EXPECT_NE(gap->find("last synced with the leader 5 s ago"), std::string::npos) << *gap;
}

TEST(PeerHub, RefusesMalformedAndStrangers) {
  Cluster cl;
  HttpRequest req;
  req.method = "POST";
  req.path = kPeerSyncPath;
  req.body = "{not json";
  EXPECT_EQ(cl.a.hub.Handle(req).status, 400);
  req.body = R"({"instance":"x","usage":[{"namespace":"n","name":"k","dayId":1,"day":-5,"monthId":1,"month":0,"total":0}]})";
  EXPECT_EQ(cl.a.hub.Handle(req).status, 400);
  req.body = R"({"instance":"x","epoch":"old"})";
  EXPECT_EQ(cl.a.hub.Handle(req).status, 409);
  EXPECT_EQ(cl.b.hub.Handle(req).status, 503);  // b does not lead
  req.method = "GET";
  EXPECT_EQ(cl.a.hub.Handle(req).status, 405);
}

TEST(PeerMessages, ADigestOfAnotherPepperIsRefused) {
  KeyHasher mine(kPepper), other(std::string(32, 'q'));
  VolatileKeyStore store;
  store.Put(kRef, "uid-1", MintKey(), other, kNow);
  SyncResponse r;
  r.epoch = "e";
  r.volatile_included = true;
  r.volatile_keys = store.Snapshot();
  auto decoded = DecodeSyncResponse(EncodeSyncResponse(r, other.id()), mine.id());
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().find("pepper"), std::string::npos);
  auto same = DecodeSyncResponse(EncodeSyncResponse(r, other.id()), other.id());
  ASSERT_TRUE(same.ok()) << same.error();
  ASSERT_EQ(same->volatile_keys.size(), 1u);
  EXPECT_TRUE(DigestsEqual(same->volatile_keys[0].key.digest, r.volatile_keys[0].key.digest));
  EXPECT_EQ(same->volatile_keys[0].key.minted_at, kNow);
}

}  // namespace
}  // namespace keyward
