// Owns and wires the controller runtime for one resource: a watcher and a
// store per watched namespace, the work queue, the runner and the elector.
#pragma once
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "kube/controller_runner.h"
#include "kube/kube_client.h"
#include "kube/leader_election.h"
#include "kube/object_store.h"
#include "kube/watcher.h"
#include "kube/work_queue.h"

namespace keyward {

struct ManagerConfig {
  std::string group_version;             // e.g. keyward.io/v1alpha1
  std::string plural;                    // e.g. apikeys
  std::vector<std::string> namespaces;   // empty: all namespaces, one watch
  int workers = 4;
  std::optional<LeaseConfig> lease;      // nullopt: this process always leads
  // The elector's own client (its rate limit, connections and timeout are
  // not shared with the workers'); null: the Manager's client.
  KubeClient* lease_client = nullptr;
  StoreOptions store{};                  // how the caches keep objects
};

struct ManagerHooks {
  ControllerRunner::ReconcileFn reconcile;
  // Called from the watch when an object is deleted, before the queue runs.
  std::function<void(const std::string& key)> on_delete;
  // Leadership was lost: writing has stopped already.
  std::function<void()> on_lost_leadership;
  // Every cache holds its first list; called once, before the workers
  // start and before Ready() turns true (e.g. to fill an index from it).
  std::function<void()> on_synced;
  // Leadership was gained (after every cached object was queued again).
  std::function<void()> on_started_leading;
  // Each object of each cache's first list, as its page is read (from the
  // watch threads, several at once with several namespaces): work done here
  // overlaps the list instead of following it. Objects of a list that
  // failed part-way may come again, or be deleted before the list is done.
  std::function<void(const web::json::value& object)> on_first_list_item;
};

class Manager {
 public:
  Manager(KubeClient& kube, ManagerConfig config);
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  // Starts the watches; once every cache holds its first list, starts the
  // workers (like kube-runtime) and leader election.
  void Start(ManagerHooks hooks);
  // Every cache holds its first list, on_synced has returned and the
  // workers are starting.
  bool Ready() const { return ready_.load(); }
  // Stops taking work and waits for the reconciles in flight, then stops
  // the watches; leadership (if held) is kept. Idempotent.
  void StopWork();
  // StopWork, then releases the Lease for a fast handover: a successor
  // never starts while a reconcile of ours is still writing.
  void Stop();

  // The cached object for "namespace/name", or null.
  ObjectPtr Get(const std::string& key) const;
  bool IsLeader() const { return !elector_ || elector_->IsLeader(); }
  // The Lease's holder as last read; empty without leader election.
  LeaseHolder Holder() const { return elector_ ? elector_->Holder() : LeaseHolder{}; }
  WorkQueue& queue() { return queue_; }
  // Queues every cached object (low priority), e.g. on gaining leadership.
  void EnqueueAll();
  // Every cached object (a snapshot).
  std::vector<ObjectPtr> List() const;
  // Each cached object in turn (ObjectStore::ForEach).
  void ForEach(const std::function<void(const web::json::value&)>& fn) const;
  // Whether a cache holds "namespace/name" (nothing is unpacked).
  bool Contains(const std::string& key) const;
  // Cached objects in namespace |ns|.
  std::size_t CountInNamespace(const std::string& ns) const;
  // Cached objects per StoreOptions::label.
  std::map<std::string, std::size_t> CountByLabel() const;
  // Full lists the watches made: one each at start, more after restarts.
  int Relists() const;

 private:
  void StartWhenSynced();

  KubeClient& kube_;
  const ManagerConfig config_;
  ManagerHooks hooks_;
  WorkQueue queue_;
  std::vector<std::unique_ptr<ObjectStore>> stores_;
  std::vector<std::unique_ptr<Watcher>> watchers_;
  std::unique_ptr<ControllerRunner> runner_;
  std::unique_ptr<LeaderElector> elector_;
  std::thread starter_;
  std::atomic<bool> ready_{false}, stopping_{false}, work_stopped_{false};
};

}  // namespace keyward
