#include "kube/leader_election.h"

#include <spdlog/spdlog.h>

#include <cmath>
#include <ctime>

#include "kube/json_fields.h"

namespace keyward {

using web::json::value;

LeaderElector::LeaderElector(KubeClient& client, LeaseConfig config,
                             std::function<void()> on_started, std::function<void()> on_stopped,
                             ClockFn clock)
    : client_(client),
      config_(std::move(config)),
      on_started_(std::move(on_started)),
      on_stopped_(std::move(on_stopped)),
      clock_(std::move(clock)) {
  path_ = ResourcePath{"coordination.k8s.io/v1", "leases", config_.namespace_name, config_.name, ""};
}

LeaderElector::~LeaderElector() { Stop(); }

void LeaderElector::Start() { thread_ = std::thread([this] { Run(); }); }

void LeaderElector::Stop() {
  stopping_ = true;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool LeaderElector::SleepFor(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, d, [this] { return stopping_.load(); });
}

bool LeaderElector::CreateLease(SteadyClock::time_point now, const std::string& now_text,
                                int duration_s) {
  value lease;
  lease["apiVersion"] = value::string("coordination.k8s.io/v1");
  lease["kind"] = value::string("Lease");
  lease["metadata"]["name"] = value::string(config_.name);
  lease["metadata"]["namespace"] = value::string(config_.namespace_name);
  lease["spec"]["holderIdentity"] = value::string(config_.identity);
  if (!config_.peer_address.empty()) {
    lease["metadata"]["annotations"][kPeerAddressAnnotation] = value::string(config_.peer_address);
  }
  lease["spec"]["leaseDurationSeconds"] = value::number(duration_s);
  lease["spec"]["acquireTime"] = value::string(now_text);
  lease["spec"]["renewTime"] = value::string(now_text);
  lease["spec"]["leaseTransitions"] = value::number(0);
  KubeResult created = client_.Create(path_, lease);
  if (!created.status.ok()) {
    if (!created.status.AlreadyExists()) {
      spdlog::warn("leader election: create lease {}/{}: {}", config_.namespace_name,
                   config_.name, created.status.String());
    }
    return false;
  }
  Renewed(now, now_text);
  return true;
}

void LeaderElector::Observe(const std::string& identity, const std::string& address) {
  std::lock_guard lock(holder_mu_);
  holder_ = LeaseHolder{identity, address};
}

LeaseHolder LeaderElector::Holder() const {
  std::lock_guard lock(holder_mu_);
  return holder_;
}

void LeaderElector::Renewed(SteadyClock::time_point sent, const std::string& now_text) {
  Observe(config_.identity, config_.peer_address);
  observed_holder_ = config_.identity;
  observed_renew_time_ = now_text;
  observed_at_ = sent;
  // Counted from when the renew was sent, not when it returned: others
  // count the lease from when they see it, which is later.
  leader_until_ = (sent + config_.renew_deadline).time_since_epoch().count();
}

bool LeaderElector::TryAcquireOrRenew(SteadyClock::time_point now) {
  const std::string now_text = FormatMicroTime(std::chrono::system_clock::now());
  const int duration_s = static_cast<int>(
      std::ceil(std::chrono::duration<double>(config_.lease_duration).count()));
  const bool renewing = IsLeader();
  KubeResult got = client_.Get(path_);
  if (got.status.NotFound()) return CreateLease(now, now_text, duration_s);
  if (!got.status.ok()) {
    spdlog::warn("leader election: get lease {}/{}: {}", config_.namespace_name, config_.name,
                 got.status.String());
    return false;
  }
  value lease = got.body;
  value& spec = lease["spec"];
  std::string holder = JsonStringOr(spec, {"holderIdentity"});
  std::string renew = JsonStringOr(spec, {"renewTime"});
  Observe(holder, JsonStringOr(lease, {"metadata", "annotations", kPeerAddressAnnotation}));
  if (holder != observed_holder_ || renew != observed_renew_time_) {
    observed_holder_ = holder;
    observed_renew_time_ = renew;
    // Seen when the answer came back: a slow GET must not make the record
    // look older than it is.
    observed_at_ = clock_();
  }
  const bool other_holder = !holder.empty() && holder != config_.identity;
  if (other_holder && IsLeader()) {
    spdlog::error("leader election: lease {}/{} is held by {}; {} steps down", config_.namespace_name,
                  config_.name, holder, config_.identity);
    StepDown();
  }
  auto held_for_s = JsonInt(spec, {"leaseDurationSeconds"}).value_or(duration_s);
  if (other_holder && observed_at_ + std::chrono::seconds(held_for_s) > now) return false;

  if (holder != config_.identity) {
    spec["acquireTime"] = value::string(now_text);
    auto transitions = JsonInt(spec, {"leaseTransitions"}).value_or(0);
    spec["leaseTransitions"] = value::number(transitions + 1);
  }
  spec["holderIdentity"] = value::string(config_.identity);
  spec["leaseDurationSeconds"] = value::number(duration_s);
  spec["renewTime"] = value::string(now_text);
  if (!config_.peer_address.empty() &&
      JsonStringOr(lease, {"metadata", "annotations", kPeerAddressAnnotation}) != config_.peer_address) {
    lease["metadata"]["annotations"][kPeerAddressAnnotation] = value::string(config_.peer_address);
  }
  // A renew whose leadership ran out while it was under way (the process
  // stalled after the GET) is not sent: a leader that lost never writes,
  // not even a renew the resourceVersion would refuse. The next attempt
  // reads the Lease again, as a candidate.
  if (renewing && !IsLeader()) return false;
  KubeResult updated = client_.Update(path_, lease);  // resourceVersion guards the race
  if (!updated.status.ok()) return false;
  Renewed(now, now_text);
  return true;
}

void LeaderElector::Release() {
  KubeResult got = client_.Get(path_);
  if (!got.status.ok()) return;
  value lease = got.body;
  if (JsonStringOr(lease, {"spec", "holderIdentity"}) != config_.identity) {
    return;
  }
  lease["spec"]["holderIdentity"] = value::string("");
  lease["spec"]["leaseDurationSeconds"] = value::number(1);
  client_.Update(path_, lease);
}

void LeaderElector::Run() {
  while (!stopping_) {
    // Candidate: try until we hold the Lease.
    if (!TryAcquireOrRenew(clock_())) {
      if (!SleepFor(config_.retry_period)) break;
      continue;
    }
    spdlog::info("leader election: {} acquired lease {}/{}", config_.identity,
                 config_.namespace_name, config_.name);
    if (on_started_) on_started_();
    // Leader: renew every retry period while IsLeader() holds; a failed
    // renew is tried again until the renew deadline runs out.
    while (SleepFor(config_.retry_period)) {
      if (!TryAcquireOrRenew(clock_()) && !IsLeader()) break;
    }
    StepDown();
    if (stopping_) {
      Release();
    } else {
      spdlog::error("leader election: {} lost lease {}/{}", config_.identity,
                    config_.namespace_name, config_.name);
    }
    if (on_stopped_) on_stopped_();
  }
}

}  // namespace keyward
