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
int Decide(int argc, char** argv, const char* command, const char* type) {
  CliConnection conn;
  std::string ns = "default", name, reason;
  po::options_description desc(std::string("keyward ") + command + " -n NAMESPACE REQUEST [flags]");
  desc.add_options()("help,h", "show this help")
    ("namespace,n", po::value(&ns)->default_value(ns), "the request's namespace")
    ("request", po::value(&name)->required(), "the ApiKeyRequest's name")
    ("reason", po::value(&reason)->default_value(""), "why (the condition's message)");
  AddConnectionFlags(&desc, &conn);
  po::positional_options_description positional;
  positional.add("request", 1);
  po::variables_map vm;
  if (auto code = ParseCli(command, desc, positional, argc, argv, &vm)) return *code;
  auto kube = Connect(conn);
  if (!kube.ok()) return Fail(kube.error());
  ResourcePath path{kApiVersion, "apikeyrequests", ns, name, ""};
  KubeResult got = (*kube)->Get(path);
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
  KubeResult put = (*kube)->Update(path, object);
  if (!put.status.ok()) return Fail(std::string(command) + " " + ns + "/" + name + ": " + ApiMessage(put));
  std::cout << "ApiKeyRequest " << ns << "/" << name << " " << (type == std::string(kApproved) ? "approved" : "denied") << "\n";
  return 0;
}

std::string StateOf(const ApiKeyRequest& req) {
  if (TrueCondition(req.status.conditions, kDenied)) return "Denied";
  if (TrueCondition(req.status.conditions, kIssued)) return "Issued";
  if (TrueCondition(req.status.conditions, kApproved)) return "Approved";
  return "Pending";
}

}  // namespace

int RunApproveCommand(int argc, char** argv) { return Decide(argc, argv, "approve", kApproved); }
int RunDenyCommand(int argc, char** argv) { return Decide(argc, argv, "deny", kDenied); }

int RunRequestsCommand(int argc, char** argv) {
  CliConnection conn;
  std::string ns = "default";
  bool all = false;
  po::options_description desc("keyward requests [-n NAMESPACE | -A] [flags]: pending first");
  desc.add_options()("help,h", "show this help")
    ("namespace,n", po::value(&ns)->default_value(ns), "namespace")
    ("all-namespaces,A", po::bool_switch(&all), "every namespace");
  AddConnectionFlags(&desc, &conn);
  po::variables_map vm;
  if (auto code = ParseCli("requests", desc, {}, argc, argv, &vm)) return *code;
  auto kube = Connect(conn);
  if (!kube.ok()) return Fail(kube.error());
  auto items = ListAll(**kube, {kApiVersion, "apikeyrequests", all ? "" : ns, "", ""});
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
