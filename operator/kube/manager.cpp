#include "kube/manager.h"

#include <spdlog/spdlog.h>

namespace keyward {

Manager::Manager(KubeClient& kube, ManagerConfig config) : kube_(kube), config_(std::move(config)) {
  std::size_t scopes = config_.namespaces.empty() ? 1 : config_.namespaces.size();
  for (std::size_t i = 0; i < scopes; ++i) stores_.push_back(std::make_unique<ObjectStore>(config_.store));
  if (config_.lease) {
    elector_ = std::make_unique<LeaderElector>(
        config_.lease_client ? *config_.lease_client : kube_, *config_.lease,
        [this] {
          EnqueueAll();
          if (hooks_.on_started_leading) hooks_.on_started_leading();
        },
        [this] {
          if (hooks_.on_lost_leadership) hooks_.on_lost_leadership();
        });
  }
}

Manager::~Manager() { Stop(); }

ObjectPtr Manager::Get(const std::string& key) const {
  for (const auto& store : stores_) {
    if (ObjectPtr o = store->Get(key)) return o;
  }
  return nullptr;
}

std::vector<ObjectPtr> Manager::List() const {
  std::vector<ObjectPtr> out;
  for (const auto& store : stores_) {
    auto part = store->List();
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

void Manager::ForEach(const std::function<void(const web::json::value&)>& fn) const {
  for (const auto& store : stores_) store->ForEach(fn);
}

bool Manager::Contains(const std::string& key) const {
  for (const auto& store : stores_) {
    if (store->Contains(key)) return true;
  }
  return false;
}

std::size_t Manager::CountInNamespace(const std::string& ns) const {
  std::size_t n = 0;
  for (const auto& store : stores_) n += store->CountInNamespace(ns);
  return n;
}

std::map<std::string, std::size_t> Manager::CountByLabel() const {
  std::map<std::string, std::size_t> counts;
  for (const auto& store : stores_) {
    for (const auto& [label, n] : store->CountByLabel()) counts[label] += n;
  }
  return counts;
}

int Manager::Relists() const {
  int lists = 0;
  for (const auto& w : watchers_) lists += w->lists();
  return lists;
}

void Manager::EnqueueAll() {
  for (const auto& store : stores_) {
    for (const auto& key : store->Keys()) queue_.AddLowPriority(key);
  }
}

void Manager::Start(ManagerHooks hooks) {
  hooks_ = std::move(hooks);
  for (std::size_t i = 0; i < stores_.size(); ++i) {
    WatcherHandler handler;
    handler.on_apply = [this](const ObjectPtr& obj) { queue_.Add(ObjectKey(*obj)); };
    // A list's objects go behind changes seen since (a restart with
    // thousands of ApiKeys does not delay a new one).
    handler.on_list_item = [this](std::string key) { queue_.AddLowPriority(std::move(key)); };
    if (hooks_.on_first_list_item) {
      handler.on_first_list_item = [this](const std::string& text) {
        try {
          hooks_.on_first_list_item(web::json::value::parse(text));  // our own serialisation
        } catch (const std::exception& e) {
          spdlog::warn("a listed object's text did not parse ({}); its reconcile handles it", e.what());
        }
      };
    }
    handler.on_delete = [this](const std::string& key) {
      if (hooks_.on_delete) hooks_.on_delete(key);
      queue_.Drop(key);  // nothing of the old object waits for a deadline
      queue_.Add(key);
    };
    std::string ns = config_.namespaces.empty() ? "" : config_.namespaces[i];
    watchers_.push_back(std::make_unique<Watcher>(
        kube_, ResourcePath{config_.group_version, config_.plural, ns, "", ""}, *stores_[i],
        handler));
    watchers_.back()->Start();
  }
  runner_ = std::make_unique<ControllerRunner>(queue_, hooks_.reconcile, config_.workers);
  starter_ = std::thread([this] { StartWhenSynced(); });
}

void Manager::StartWhenSynced() {
  while (!stopping_) {
    bool synced = true;
    for (const auto& store : stores_) synced = synced && store->ready();
    if (synced) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (stopping_) return;
  if (hooks_.on_synced) hooks_.on_synced();
  spdlog::info("caches synced; starting {} workers", config_.workers);
  // Ready before the first reconcile runs: whoever skips work until Ready
  // (template changes) cannot miss a reconcile that read the old state.
  ready_ = true;
  runner_->Start();
  if (elector_) elector_->Start();
}

void Manager::StopWork() {
  if (work_stopped_.exchange(true)) return;
  stopping_ = true;
  if (starter_.joinable()) starter_.join();
  if (runner_) runner_->Stop();  // in-flight reconciles finish, still as leader
  for (auto& w : watchers_) w->Stop();
  ready_ = false;
}

void Manager::Stop() {
  StopWork();
  if (elector_) elector_->Stop();  // only now: releases the Lease
}

}  // namespace keyward
