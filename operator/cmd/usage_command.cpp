#include "cmd/usage_command.h"

#include <iostream>
#include <map>

#include "api/apikey.h"
#include "api/apikey_request.h"
#include "api/apikey_template.h"
#include "api/usage_period.h"
#include "cmd/cli_common.h"
#include "kube/json_fields.h"

namespace keyward {

namespace po = boost::program_options;
using web::json::value;

namespace {

struct UsageRow {
  std::string ns, name, tpl, holder, issued, cost, currency;
  PeriodSum sum;
};

struct UsageFlags {
  KubeconfigFlags conn;
  std::string from, to, output = "table";
  bool all = false;
};

// "ns/name" (or "name" for cluster templates) -> price.
using Prices = std::map<std::string, Price>;

void AddPrices(KubeClient& kube, const char* plural, const std::string& ns, Prices* prices) {
  auto items = ListAll(kube, {kApiVersion, plural, ns, "", ""});
  if (!items.ok()) return;  // e.g. no access to cluster templates: no price
  for (const value& item : *items) {
    FieldErrors ignored;
    ApiKeyTemplate t = ParseApiKeyTemplate(item, &ignored);
    if (!t.spec.price) continue;
    const std::string id = t.kind == kClusterTemplateKind ? t.metadata.name
                                                          : t.metadata.namespace_name + "/" + t.metadata.name;
    (*prices)[id] = *t.spec.price;
  }
}

UsageRow RowOf(const ApiKey& key, const Prices& prices, const UsageFlags& f) {
  UsageRow row;
  row.ns = key.metadata.namespace_name;
  row.name = key.metadata.name;
  auto by = key.metadata.annotations.find(kRequestedByAnnotation);
  row.holder = by != key.metadata.annotations.end() ? by->second : key.status.created_by;
  row.issued = key.metadata.creation_timestamp;
  row.sum = RequestsBetween(key.status.usage, f.from, f.to);
  if (!key.spec.template_ref) return row;
  const TemplateRef& ref = *key.spec.template_ref;
  row.tpl = (ref.cluster() ? "cluster/" : "") + ref.name;
  auto price = prices.find(ref.cluster() ? ref.name : row.ns + "/" + ref.name);
  if (price == prices.end()) return row;
  row.cost = CostOf(row.sum.requests, price->second.per_request).value_or("");
  row.currency = price->second.currency;
  return row;
}

std::string Csv(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

void Print(const std::vector<UsageRow>& rows, const UsageFlags& f) {
  if (f.output == "json") {
    value list = value::array();
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const UsageRow& r = rows[i];
      value v;
      v["namespace"] = value::string(r.ns);
      v["apiKey"] = value::string(r.name);
      v["template"] = value::string(r.tpl);
      v["holder"] = value::string(r.holder);
      v["issuedAt"] = value::string(r.issued);
      v["requests"] = value::number(static_cast<int64_t>(r.sum.requests));
      v["complete"] = value::boolean(r.sum.complete);
      if (!r.cost.empty()) v["cost"] = value::string(r.cost), v["currency"] = value::string(r.currency);
      list[i] = v;
    }
    value out;
    out["from"] = value::string(f.from);
    out["to"] = value::string(f.to);
    out["items"] = list;
    std::cout << out.serialize() << "\n";
    return;
  }
  std::vector<std::vector<std::string>> table{
      {"NAMESPACE", "APIKEY", "TEMPLATE", "HOLDER", "ISSUED", "REQUESTS", "COST", "CURRENCY"}};
  for (const UsageRow& r : rows) {
    table.push_back({r.ns, r.name, r.tpl.empty() ? "-" : r.tpl, r.holder.empty() ? "-" : r.holder,
                     r.issued, std::to_string(r.sum.requests) + (r.sum.complete ? "" : "+"),
                     r.cost.empty() ? "-" : r.cost, r.currency.empty() ? "-" : r.currency});
  }
  if (f.output == "csv") {
    for (const auto& row : table) {
      std::string line;
      for (std::size_t i = 0; i < row.size(); ++i) line += (i ? "," : "") + Csv(row[i]);
      std::cout << line << "\n";
    }
    return;
  }
  std::cout << "Requests from " << f.from << " to " << f.to << " (UTC days; \"+\": older than the "
            << "31 days of daily history, at least this many)\n";
  PrintTable(std::cout, table);
}

}  // namespace

int RunUsageCommand(int argc, char** argv) {
  UsageFlags f;
  const std::string today = FormatRfc3339(Clock::now()).substr(0, 10);
  po::options_description desc("keyward usage [-n NAMESPACE | -A] [--from DATE] [--to DATE] [-o FORMAT]");
  desc.add_options()("help,h", "show this help")
    ("all-namespaces,A", po::bool_switch(&f.all), "every namespace")
    ("from", po::value(&f.from)->default_value(today.substr(0, 8) + "01"), "first day, YYYY-MM-DD (UTC)")
    ("to", po::value(&f.to)->default_value(today), "last day, YYYY-MM-DD (UTC), included")
    ("output,o", po::value(&f.output)->default_value(f.output), "table, json or csv");
  AddConnectionFlags(&desc, &f.conn);
  po::variables_map vm;
  if (auto code = ParseCli("usage", desc, {}, argc, argv, &vm)) return *code;
  for (const std::string* d : {&f.from, &f.to}) {
    if (!IsDate(*d)) {
      std::cerr << "keyward usage: \"" << *d << "\" is not a date (YYYY-MM-DD)\n";
      return 2;
    }
  }
  if (f.from > f.to) return std::cerr << "keyward usage: --from is after --to\n", 2;
  if (f.output != "table" && f.output != "json" && f.output != "csv") {
    return std::cerr << "keyward usage: -o must be table, json or csv\n", 2;
  }
  auto client = Connect(f.conn);
  if (!client.ok()) return std::cerr << "error: " << client.error() << "\n", 1;
  KubeClient& kube = *client->kube;
  const std::string ns = f.all ? "" : client->ns;
  auto keys = ListAll(kube, {kApiVersion, "apikeys", ns, "", ""});
  if (!keys.ok()) return std::cerr << "error: " << keys.error() << "\n", 1;
  Prices prices;
  AddPrices(kube, "apikeytemplates", ns, &prices);
  AddPrices(kube, "clusterapikeytemplates", "", &prices);
  std::vector<UsageRow> rows;
  for (const value& item : *keys) {
    FieldErrors ignored;
    rows.push_back(RowOf(ParseApiKey(item, &ignored), prices, f));
  }
  Print(rows, f);
  return 0;
}

}  // namespace keyward
