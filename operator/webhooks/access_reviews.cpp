#include "webhooks/access_reviews.h"

#include <set>
#include <tuple>

#include "kube/json_fields.h"

namespace keyward {

using web::json::value;

namespace {

auto Tie(const AccessReview& r) {
  return std::tie(r.namespace_name, r.verb, r.group, r.resource, r.subresource, r.name);
}

AccessReview Attributes(const char* verb, const char* group, const char* resource,
                        const char* subresource, const std::string& name = "") {
  AccessReview r;
  r.verb = verb;
  r.group = group;
  r.resource = resource;
  r.subresource = subresource;
  r.name = name;
  return r;
}

// The actions of one rule; an absent list is the default [log].
std::vector<std::string> ActionsOf(const value& rule) {
  std::vector<std::string> out;
  for (const value& a : JsonArray(rule, {"actions"})) {
    if (a.is_string()) out.push_back(a.as_string());
  }
  if (out.empty()) out.push_back("log");
  return out;
}

// The namespaces of one rule: "" for cluster scope or a glob.
std::set<std::string> NamespacesOf(const value& rule) {
  if (JsonStringOr(rule, {"scope"}) == "cluster") return {""};
  std::set<std::string> out;
  for (const value& ns : JsonArray(rule, {"namespaces"})) {
    if (!ns.is_string()) continue;
    const std::string& name = ns.as_string();
    out.insert(name.find_first_of("*?[") == std::string::npos ? name : "");
  }
  return out;
}

}  // namespace

std::string AccessReview::Describe() const {
  std::string what = resource + (group.empty() ? "" : "." + group);
  if (!subresource.empty()) what += "/" + subresource;
  return verb + " " + what + (name.empty() ? "" : " named " + name);
}

std::string AccessReview::Where() const {
  return namespace_name.empty() ? "every namespace" : "namespace " + namespace_name;
}

bool AccessReview::operator<(const AccessReview& o) const { return Tie(*this) < Tie(o); }
bool AccessReview::operator==(const AccessReview& o) const { return Tie(*this) == Tie(o); }

std::vector<AccessReview> RbacForAction(const std::string& action) {
  if (action == "log") return {Attributes("get", "", "pods", "log")};
  if (action == "events") return {Attributes("list", "", "events", "")};
  if (action == "metrics") return {Attributes("get", "metrics.k8s.io", "pods", "")};
  if (action == "*") {
    return {Attributes("get", "", "pods", "log"), Attributes("list", "", "events", ""),
            Attributes("get", "metrics.k8s.io", "pods", ""),
            Attributes("grant", "keyward.io", "actions", "")};
  }
  return {Attributes("grant", "keyward.io", "actions", "", action)};
}

Result<std::vector<AccessReview>> AccessReviewsFor(const value& object) {
  std::set<AccessReview> wanted;
  for (const value& rule : JsonArray(object, {"spec", "access"})) {
    const std::set<std::string> namespaces = NamespacesOf(rule);
    for (const std::string& action : ActionsOf(rule)) {
      for (AccessReview review : RbacForAction(action)) {
        for (const std::string& ns : namespaces) {
          review.namespace_name = ns;
          wanted.insert(review);
        }
      }
    }
  }
  std::vector<AccessReview> out;
  for (const AccessReview& r : wanted) {
    AccessReview everywhere = r;
    everywhere.namespace_name.clear();
    if (!r.namespace_name.empty() && wanted.count(everywhere)) continue;  // reviewed for all
    out.push_back(r);
  }
  if (out.size() > kMaxAccessReviews) {
    return Status::Error("spec.access: granting this needs " + std::to_string(out.size()) +
                         " access reviews (one per namespace and action), more than the " +
                         std::to_string(kMaxAccessReviews) +
                         " keyward makes for one write: name fewer namespaces, or use a glob "
                         "(which needs the access in every namespace)");
  }
  return out;
}

}  // namespace keyward
