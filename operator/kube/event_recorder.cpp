#include "kube/event_recorder.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <random>

#include "base/time_format.h"

namespace keyward {

using web::json::value;

KubeEventRecorder::KubeEventRecorder(KubeClient& client, std::string component,
                                     std::string instance, std::size_t max_pending)
    : client_(client),
      component_(std::move(component)),
      instance_(std::move(instance)),
      max_pending_(max_pending) {
  thread_ = std::thread([this] { Run(); });
}

KubeEventRecorder::~KubeEventRecorder() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    if (!pending_.empty()) {
      spdlog::info("dropping {} unsent events at shutdown", pending_.size());
      pending_.clear();
    }
  }
  cv_.notify_all();
  thread_.join();
}

void KubeEventRecorder::Record(const ObjectReference& object, const std::string& type,
                               const std::string& reason, const std::string& message) {
  std::lock_guard lock(mu_);
  if (pending_.size() >= max_pending_) {
    spdlog::warn("event dropped (queue full): {} {}/{}", reason, object.namespace_name, object.name);
    return;
  }
  pending_.push_back({object, type, reason, message});
  cv_.notify_one();
}

bool KubeEventRecorder::Flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return idle_cv_.wait_for(lock, timeout, [this] { return pending_.empty() && !sending_; });
}

void KubeEventRecorder::Run() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
    if (pending_.empty() && stopping_) break;
    Pending e = std::move(pending_.front());
    pending_.pop_front();
    sending_ = true;
    lock.unlock();
    Send(e);
    lock.lock();
    sending_ = false;
    if (pending_.empty()) idle_cv_.notify_all();
  }
  idle_cv_.notify_all();
}

void KubeEventRecorder::Send(const Pending& e) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  auto now = std::chrono::system_clock::now();
  char suffix[20];
  std::snprintf(suffix, sizeof(suffix), "%016llx", static_cast<unsigned long long>(rng()));
  value ev;
  ev["apiVersion"] = value::string("v1");
  ev["kind"] = value::string("Event");
  ev["metadata"]["name"] = value::string(e.object.name + "." + suffix);
  ev["metadata"]["namespace"] = value::string(e.object.namespace_name);
  value& io = ev["involvedObject"];
  io["apiVersion"] = value::string(e.object.api_version);
  io["kind"] = value::string(e.object.kind);
  io["namespace"] = value::string(e.object.namespace_name);
  io["name"] = value::string(e.object.name);
  io["uid"] = value::string(e.object.uid);
  ev["type"] = value::string(e.type);
  ev["reason"] = value::string(e.reason);
  ev["message"] = value::string(e.message);
  ev["firstTimestamp"] = value::string(FormatRfc3339(now));
  ev["lastTimestamp"] = value::string(FormatRfc3339(now));
  ev["count"] = value::number(1);
  ev["source"]["component"] = value::string(component_);
  ev["reportingComponent"] = value::string(component_);
  ev["reportingInstance"] = value::string(instance_);
  KubeResult r = client_.Create(ResourcePath{"v1", "events", e.object.namespace_name, "", ""}, ev);
  if (!r.status.ok()) {
    spdlog::warn("event {} on {}/{} not recorded: {}", e.reason, e.object.namespace_name,
                 e.object.name, r.status.String());
  }
}

}  // namespace keyward
