// The narrow Kubernetes API interface keyward's runtime and controllers use.
// Implementations must be safe to call from many threads at once.
#pragma once
#include <cpprest/json.h>

#include <chrono>
#include <pplx/pplxtasks.h>

#include <functional>
#include <string>

namespace keyward {

// A Kubernetes Status as callers need it: the HTTP code and the reason
// (NotFound, AlreadyExists, Conflict, Gone, Expired, TooManyRequests, ...).
// code 0 means the request never got an HTTP answer (reason "Transport").
struct KubeStatus {
  int code = 0;
  std::string reason;
  std::string message;
  bool ok() const { return code >= 200 && code < 300; }
  bool NotFound() const { return code == 404; }
  bool AlreadyExists() const { return code == 409 && reason == "AlreadyExists"; }
  bool Conflict() const { return code == 409 && reason != "AlreadyExists"; }
  bool Gone() const { return code == 410 || reason == "Expired" || reason == "Gone"; }
  bool TooManyRequests() const { return code == 429; }
  std::string String() const;
};

struct KubeResult {
  KubeStatus status;
  web::json::value body;  // the object (or list) on success
};

// The same, with the body as the server sent it (undecoded).
struct KubeTextResult {
  KubeStatus status;
  std::string body;  // on success
};

// Where a resource lives. group_version is "v1" for the core group,
// otherwise "<group>/<version>". Empty namespace = cluster scope or all
// namespaces (for list/watch); empty name = the collection.
struct ResourcePath {
  std::string group_version;
  std::string plural;
  std::string namespace_name;
  std::string name;
  std::string subresource;  // e.g. "status"
  // "/api/v1/namespaces/ns/secrets/name" or "/apis/g/v/...".
  std::string Url() const;
};

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  std::string continue_token;
  std::string resource_version;  // "" = most recent (quorum read)
  int limit = 500;               // page size, like client-go
  bool metadata_only = false;    // PartialObjectMetadataList: names, labels, owners only
};

struct WatchOptions {
  std::string label_selector;
  std::string field_selector;
  std::string resource_version;
  int timeout_seconds = 290;  // server ends the watch; under the 300 s proxies often allow
  bool allow_bookmarks = true;
  // With bookmarks, kube-apiserver's watch cache sends one at least every
  // minute even when nothing changes: a watch silent for longer than this
  // is dead (a dropped connection, a stuck proxy) and is ended, to be
  // resumed from its last resourceVersion.
  std::chrono::seconds idle_timeout{90};
  bool metadata_only = false;  // PartialObjectMetadata events
};

struct DeleteOptions {
  std::string precondition_uid;  // delete only this incarnation
  std::string propagation_policy = "Background";
};

// One decoded watch event: type is ADDED, MODIFIED, DELETED, BOOKMARK or
// ERROR (object is then a Status).
using WatchHandler = std::function<bool(const std::string& type, const web::json::value& object)>;

class KubeClient {
 public:
  virtual ~KubeClient() = default;

  virtual KubeResult Get(const ResourcePath& path) = 0;
  // One page; the caller follows body.metadata.continue.
  virtual KubeResult List(const ResourcePath& path, const ListOptions& options) = 0;
  // One page as text, for a caller with its own parser. By default List()
  // written back out; a client that can skip decoding does.
  virtual KubeTextResult ListText(const ResourcePath& path, const ListOptions& options);
  // Creates |object| in the collection of |path| (path.name is ignored).
  virtual KubeResult Create(const ResourcePath& path, const web::json::value& object) = 0;
  // PUT with the object's resourceVersion (optimistic concurrency); with
  // path.subresource = "status" it updates only status.
  virtual KubeResult Update(const ResourcePath& path, const web::json::value& object) = 0;
  // JSON merge patch (RFC 7386).
  virtual KubeResult MergePatch(const ResourcePath& path, const web::json::value& patch) = 0;
  virtual KubeResult Delete(const ResourcePath& path, const DeleteOptions& options) = 0;

  // Streams events to |handler| until the server ends the watch, |handler|
  // returns false, or |cancel| is cancelled. Returns the HTTP status of the
  // watch request (an ERROR event's Status is delivered to the handler).
  virtual KubeStatus Watch(const ResourcePath& path, const WatchOptions& options,
                           const WatchHandler& handler, pplx::cancellation_token cancel) = 0;
};

}  // namespace keyward
