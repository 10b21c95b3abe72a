#include "replicas/peer_messages.h"

#include <cpprest/json.h>

#include "base/time_format.h"
#include "kube/json_fields.h"

namespace keyward {

using web::json::value;

namespace {

value TimeValue(TimePoint t) {
  return value::string(t == TimePoint{} ? "" : FormatMicroTime(t));
}

TimePoint TimeOf(const value& obj, const char* field) {
  return ParseRfc3339(JsonStringOr(obj, {field})).value_or(TimePoint{});
}

value CountsValue(const QuotaBook::Report& r) {
  value v;
  v["namespace"] = value::string(r.ref.namespace_name);
  v["name"] = value::string(r.ref.name);
  v["dayId"] = value::number(static_cast<int64_t>(r.counts.day_id));
  v["day"] = value::number(static_cast<int64_t>(r.counts.day));
  v["monthId"] = value::number(static_cast<int64_t>(r.counts.month_id));
  v["month"] = value::number(static_cast<int64_t>(r.counts.month));
  v["total"] = value::number(static_cast<int64_t>(r.counts.total));
  v["lastUsed"] = TimeValue(r.counts.last_used);
  return v;
}

Result<std::vector<QuotaBook::Report>> CountsOf(const value& body) {
  std::vector<QuotaBook::Report> out;
  if (!body.has_field("usage")) return out;
  if (!body.at("usage").is_array()) return Status::Error("usage: not a list");
  for (const value& v : body.at("usage").as_array()) {
    QuotaBook::Report r;
    r.ref.namespace_name = JsonStringOr(v, {"namespace"});
    r.ref.name = JsonStringOr(v, {"name"});
    if (r.ref.namespace_name.empty() || r.ref.name.empty()) {
      return Status::Error("usage: an entry without namespace and name");
    }
    auto day_id = JsonInt(v, {"dayId"}), day = JsonInt(v, {"day"});
    auto month_id = JsonInt(v, {"monthId"}), month = JsonInt(v, {"month"});
    auto total = JsonInt(v, {"total"});
    if (!day_id || !day || !month_id || !month || !total || *day < 0 || *month < 0 || *total < 0) {
      return Status::Error("usage of " + r.ref.String() + ": counts missing or negative");
    }
    r.counts = SharedCounts{*day_id, *day, *month_id, *month, *total, TimeOf(v, "lastUsed")};
    out.push_back(std::move(r));
  }
  return out;
}

Result<value> Parse(std::string_view body) {
  std::error_code ec;
  value v = value::parse(std::string(body), ec);
  if (ec || !v.is_object()) return Status::Error("not a JSON object");
  return v;
}

std::uint64_t Unsigned(const value& obj, const char* field) {
  auto n = JsonInt(obj, {field});
  return n && *n > 0 ? static_cast<std::uint64_t>(*n) : 0;
}

value VolatileValue(const VolatileKeyStore::Held& h, const std::string& pepper_id) {
  value v;
  v["namespace"] = value::string(h.ref.namespace_name);
  v["name"] = value::string(h.ref.name);
  v["uid"] = value::string(h.key.uid);
  v["keyHash"] = value::string(DigestToStatus(pepper_id, h.key.digest));
  v["hint"] = value::string(h.key.hint);
  v["mintedAt"] = TimeValue(h.key.minted_at);
  if (h.key.previous) {
    v["previousKeyHash"] = value::string(DigestToStatus(pepper_id, h.key.previous->first));
    v["previousValidUntil"] = TimeValue(h.key.previous->second);
  }
  return v;
}

Result<VolatileKeyStore::Held> HeldOf(const value& v, const std::string& pepper_id) {
  VolatileKeyStore::Held h;
  h.ref = {JsonStringOr(v, {"namespace"}), JsonStringOr(v, {"name"})};
  h.key.uid = JsonStringOr(v, {"uid"});
  if (h.ref.namespace_name.empty() || h.ref.name.empty() || h.key.uid.empty()) {
    return Status::Error("volatile: an entry without namespace, name and uid");
  }
  std::string pepper;
  auto digest = DigestFromStatus(JsonStringOr(v, {"keyHash"}), &pepper);
  if (!digest) return Status::Error("volatile key of " + h.ref.String() + ": keyHash malformed");
  if (pepper != pepper_id) {
    return Status::Error("volatile key of " + h.ref.String() + ": digest of pepper " + pepper +
                         ", this replica holds " + pepper_id);
  }
  h.key.digest = *digest;
  h.key.hint = JsonStringOr(v, {"hint"});
  h.key.minted_at = TimeOf(v, "mintedAt");
  h.key.minted_here = false;
  if (v.has_field("previousKeyHash")) {
    auto previous = DigestFromStatus(JsonStringOr(v, {"previousKeyHash"}), &pepper);
    if (!previous || pepper != pepper_id) {
      return Status::Error("volatile key of " + h.ref.String() + ": previousKeyHash malformed");
    }
    h.key.previous = std::make_pair(*previous, TimeOf(v, "previousValidUntil"));
  }
  return h;
}

}  // namespace

std::string EncodeSyncRequest(const SyncRequest& request) {
  value v;
  v["instance"] = value::string(request.instance);
  v["identity"] = value::string(request.identity);
  v["epoch"] = value::string(request.epoch);
  v["usageSince"] = value::number(static_cast<uint64_t>(request.usage_since));
  v["volatileVersion"] = value::number(static_cast<uint64_t>(request.volatile_version));
  value usage = value::array(request.usage.size());
  for (std::size_t i = 0; i < request.usage.size(); ++i) usage[i] = CountsValue(request.usage[i]);
  v["usage"] = usage;
  return v.serialize();
}

Result<SyncRequest> DecodeSyncRequest(std::string_view body) {
  Result<value> v = Parse(body);
  if (!v.ok()) return v.status();
  SyncRequest r;
  r.instance = JsonStringOr(*v, {"instance"});
  r.identity = JsonStringOr(*v, {"identity"});
  r.epoch = JsonStringOr(*v, {"epoch"});
  if (r.instance.empty()) return Status::Error("instance: required");
  r.usage_since = Unsigned(*v, "usageSince");
  r.volatile_version = Unsigned(*v, "volatileVersion");
  Result<std::vector<QuotaBook::Report>> usage = CountsOf(*v);
  if (!usage.ok()) return usage.status();
  r.usage = std::move(*usage);
  return r;
}

std::string EncodeSyncResponse(const SyncResponse& response, const std::string& pepper_id) {
  value v;
  v["epoch"] = value::string(response.epoch);
  v["leader"] = value::string(response.leader);
  v["usageVersion"] = value::number(static_cast<uint64_t>(response.usage_version));
  value usage = value::array(response.usage.size());
  for (std::size_t i = 0; i < response.usage.size(); ++i) usage[i] = CountsValue(response.usage[i]);
  v["usage"] = usage;
  v["volatileVersion"] = value::number(static_cast<uint64_t>(response.volatile_version));
  if (response.volatile_included) {
    value keys = value::array(response.volatile_keys.size());
    for (std::size_t i = 0; i < response.volatile_keys.size(); ++i) {
      keys[i] = VolatileValue(response.volatile_keys[i], pepper_id);
    }
    v["volatile"] = keys;
  }
  return v.serialize();
}

Result<SyncResponse> DecodeSyncResponse(std::string_view body, const std::string& pepper_id) {
  Result<value> v = Parse(body);
  if (!v.ok()) return v.status();
  SyncResponse r;
  r.epoch = JsonStringOr(*v, {"epoch"});
  r.leader = JsonStringOr(*v, {"leader"});
  if (r.epoch.empty()) return Status::Error("epoch: required");
  r.usage_version = Unsigned(*v, "usageVersion");
  r.volatile_version = Unsigned(*v, "volatileVersion");
  Result<std::vector<QuotaBook::Report>> usage = CountsOf(*v);
  if (!usage.ok()) return usage.status();
  r.usage = std::move(*usage);
  if (v->has_field("volatile")) {
    if (!v->at("volatile").is_array()) return Status::Error("volatile: not a list");
    r.volatile_included = true;
    for (const value& item : v->at("volatile").as_array()) {
      Result<VolatileKeyStore::Held> held = HeldOf(item, pepper_id);
      if (!held.ok()) return held.status();
      r.volatile_keys.push_back(std::move(*held));
    }
  }
  return r;
}

}  // namespace keyward
