// Kubernetes Events about ApiKeys (Minted, Rotated, Expired, Disabled,
// VolatileKeyLost, Invalid). Best effort and asynchronous: a reconcile never
// waits for an event. Thread-safe. Messages must never contain a key.
#pragma once
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "kube/kube_client.h"

namespace keyward {

struct ObjectReference {
  std::string api_version, kind, namespace_name, name, uid;
};

class EventRecorder {
 public:
  virtual ~EventRecorder() = default;
  // |type| is "Normal" or "Warning".
  virtual void Record(const ObjectReference& object, const std::string& type,
                      const std::string& reason, const std::string& message) = 0;
};

// Posts core/v1 Events from a background thread through its own client, so
// events never take the reconcilers' API budget. Drops events when more than
// |max_pending| wait (an event storm must not grow memory).
class KubeEventRecorder : public EventRecorder {
 public:
  KubeEventRecorder(KubeClient& client, std::string component, std::string instance,
                    std::size_t max_pending = 1000);
  ~KubeEventRecorder() override;

  void Record(const ObjectReference& object, const std::string& type, const std::string& reason,
              const std::string& message) override;
  // Waits until queued events are sent or |timeout| passes; returns false
  // on timeout. Events still queued at destruction are dropped.
  bool Flush(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

 private:
  struct Pending {
    ObjectReference object;
    std::string type, reason, message;
  };
  void Run();
  void Send(const Pending& e);

  KubeClient& client_;
  const std::string component_, instance_;
  const std::size_t max_pending_;
  std::mutex mu_;
  std::condition_variable cv_, idle_cv_;
  std::deque<Pending> pending_;
  bool sending_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace keyward
