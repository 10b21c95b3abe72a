#include "cmd/request_commands.h"

#include <algorithm>
#include <iostream>

#include "api/apikey_request.h"
#include "cmd/cli_common.h"
#include "kube/json_fields.h"

namespace keyward {

namespace po = boost::program_options;
using web::json::value;

namespace {

int Fail(const std::string& message) {
  std::cerr << "error: " << message << "\n";
  return 1;
}

// Adds the Approved or Denied condition through the status subresource
// (PUT with resourceVersion: a concurrent change makes it fail, not vanish).
// 0 when done, 1 when refused (already decided, not found, forbidden).
int DecideOne(KubeClient& kube, const std::string& ns, const std::string& name, const char* command,
              const char* type, const std::string& reason) {
  if (Status named = CheckObjectName(ns, name); !named.ok()) return Fail(std::string(command) + ": " + named.message());
  ResourcePath path{kApiVersion, "apikeyrequests", ns, name, ""};
  KubeResult got = kube.Get(path);
  if (!got.status.ok()) return Fail("ApiKeyRequest " + ns + "/" + name + ": " + ApiMessage(got));
  FieldErrors ignored;
  ApiKeyRequest req = ParseApiKeyRequest(got.body, &ignored);
  for (const char* decided : {kApproved, kDenied}) {
    if (TrueCondition(req.status.conditions, decided)) {
      std::string by = req.status.decided_by.empty() ? "" : " by " + req.status.decided_by;
      return Fail("ApiKeyRequest " + ns + "/" + name + " is already " + decided + by);
    }
  }
  value condition;
  condition["type"] = value::string(type);
  condition["status"] = value::string("True");
  condition["reason"] = value::string(std::string("Keyward") + (type == std::string(kApproved) ? "Approve" : "Deny"));
  condition["message"] = value::string(reason.empty() ? std::string(command) + "d with keyward " + command : reason);
  condition["lastTransitionTime"] = value::string(FormatRfc3339(Clock::now()));
  value object = got.body;
  value& conditions = object["status"]["conditions"];
  if (!conditions.is_array()) conditions = value::array();
  conditions[conditions.size()] = condition;
  path.subresource = "status";
  KubeResult put = kube.Update(path, object);
  if (!put.status.ok()) return Fail(std::string(command) + " " + ns + "/" + name + ": " + ApiMessage(put));
  std::cout << "ApiKeyRequest " << ns << "/" << name << " " << (type == std::string(kApproved) ? "approved" : "denied") << "\n";
  return 0;
}

// Decides every request named, like kubectl certificate approve: each is
// tried, and the exit code is 1 if any was refused.
int Decide(int argc, char** argv, const char* command, const char* type) {
  KubeconfigFlags conn;
  std::vector<std::string> names;
  std::string reason;
  po::options_description desc(std::string("keyward ") + command + " [-n NAMESPACE] REQUEST... [flags]");
  desc.add_options()("help,h", "show this help")
    ("request", po::value(&names)->required(), "the ApiKeyRequests' names")
    ("reason", po::value(&reason)->default_value(""), "why (the condition's message)");
  AddConnectionFlags(&desc, &conn);
  po::positional_options_description positional;
  positional.add("request", -1);
  po::variables_map vm;
  if (auto code = ParseCli(command, desc, positional, argc, argv, &vm)) return *code;
  auto client = Connect(conn);
  if (!client.ok()) return Fail(client.error());
  int code = 0;
  for (const std::string& name : names) {
    if (DecideOne(*client->kube, client->ns, name, command, type, reason) != 0) code = 1;
  }
  return code;
}

std::string StateOf(const ApiKeyRequest& req) { return RequestPhase(req.status); }

// -o json: one object per request, in the table's order.
value RequestsJson(const std::vector<ApiKeyRequest>& reqs) {
  value out = value::array();
  for (const ApiKeyRequest& r : reqs) {
    value v;
    v["namespace"] = value::string(r.metadata.namespace_name);
    v["name"] = value::string(r.metadata.name);
    v["template"] = value::string((r.template_ref.cluster() ? "cluster/" : "") + r.template_ref.name);
    v["lifetime"] = value::string(r.lifetime);
    v["requestedBy"] = value::string(r.status.requested_by);
    v["status"] = value::string(StateOf(r));
    v["created"] = value::string(r.metadata.creation_timestamp);
    v["reason"] = value::string(r.reason);
    out[out.size()] = v;
  }
  return out;
}

}  // namespace

int RunApproveCommand(int argc, char** argv) { return Decide(argc, argv, "approve", kApproved); }
int RunDenyCommand(int argc, char** argv) { return Decide(argc, argv, "deny", kDenied); }

int RunRequestsCommand(int argc, char** argv) {
  KubeconfigFlags conn;
  bool all = false;
  std::string output = "table";
  po::options_description desc("keyward requests [-n NAMESPACE | -A] [-o table|json] [flags]: pending first");
  desc.add_options()("help,h", "show this help")
    ("all-namespaces,A", po::bool_switch(&all), "every namespace")
    ("output,o", po::value(&output)->default_value(output), "table or json");
  AddConnectionFlags(&desc, &conn);
  po::variables_map vm;
  if (auto code = ParseCli("requests", desc, {}, argc, argv, &vm)) return *code;
  if (output != "table" && output != "json") {
    std::cerr << "keyward requests: -o must be table or json\n";
    return 2;
  }
  auto client = Connect(conn);
  if (!client.ok()) return Fail(client.error());
  const std::string ns = client->ns;
  auto items = ListAll(*client->kube, {kApiVersion, "apikeyrequests", all ? "" : ns, "", ""});
  if (!items.ok()) return Fail(items.error());
  std::vector<ApiKeyRequest> reqs;
  for (const value& item : *items) {
    FieldErrors ignored;
    reqs.push_back(ParseApiKeyRequest(item, &ignored));
  }
  std::stable_sort(reqs.begin(), reqs.end(), [](const ApiKeyRequest& a, const ApiKeyRequest& b) {
    bool pa = StateOf(a) == "Pending", pb = StateOf(b) == "Pending";
    if (pa != pb) return pa;
    return a.metadata.creation_timestamp < b.metadata.creation_timestamp;
  });
  if (output == "json") {
    std::cout << RequestsJson(reqs).serialize() << "\n";
    return 0;
  }
  if (reqs.empty()) {
    std::cerr << "No ApiKeyRequests found" << (all ? "" : " in namespace " + ns) << ".\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows{{"NAMESPACE", "NAME", "TEMPLATE", "LIFETIME", "REQUESTER",
                                              "STATUS", "AGE", "REASON"}};
  const TimePoint now = Clock::now();
  for (const ApiKeyRequest& r : reqs) {
    auto created = ParseRfc3339(r.metadata.creation_timestamp);
    rows.push_back({r.metadata.namespace_name, r.metadata.name,
                    (r.template_ref.cluster() ? "cluster/" : "") + r.template_ref.name,
                    r.lifetime.empty() ? "(default)" : r.lifetime,
                    r.status.requested_by.empty() ? "-" : r.status.requested_by, StateOf(r),
                    created ? AgeText(*created, now) : "-", r.reason});
  }
  PrintTable(std::cout, rows);
  return 0;
}

}  // namespace keyward
