// The kubeconfig loading rules as client-go documents them ("Organizing
// cluster access using kubeconfig files" and clientcmd's loader), one row
// per rule.
#include "kube/kubeconfig_merge.h"

#include <gtest/gtest.h>

#include <cctype>

#include "kube/kube_config.h"
#include "testing/temp_dir.h"

namespace keyward {
namespace {

using testing::TempDir;

// a: current-context "a", user "alice" (token a-token), cluster "one".
const char* kFileA = R"(apiVersion: v1
kind: Config
current-context: a
contexts:
- name: a
  context: {cluster: one, user: alice, namespace: team-a}
- name: shared
  context: {cluster: one, user: alice}
clusters:
- name: one
  cluster: {server: https://127.0.0.1:6443}
users:
- name: alice
  user: {token: a-token}
)";

// b: current-context "b"; its own "shared" context and "alice" user lose
// to a's; "bob" and cluster "two" are its own; a relative CA file.
const char* kFileB = R"(apiVersion: v1
kind: Config
current-context: b
contexts:
- name: b
  context: {cluster: two, user: bob}
- name: shared
  context: {cluster: two, user: bob, namespace: from-b}
clusters:
- name: two
  cluster: {server: https://127.0.0.2:6443, certificate-authority: ca.pem}
users:
- name: alice
  user: {token: b-token, tokenFile: nope}
- name: bob
  user: {token: b-bob}
)";

const char* kNoCurrent = R"(apiVersion: v1
kind: Config
contexts:
- name: c
  context: {cluster: three, user: carol, namespace: team-c}
clusters:
- name: three
  cluster: {server: https://127.0.0.3:6443}
users:
- name: carol
  user: {token: c-token}
)";

struct Row {
  const char* rule;
  std::string kubeconfig_var;  // "<dir>" is replaced with the test folder; "-" = unset
  KubeconfigFlags flags;
  bool home_config = false;    // write <dir>/home/.kube/config (file a)
  std::string server, ns, token, ca;  // expected; or
  std::string error;                  // an expected error's words
};

void PrintTo(const Row& row, std::ostream* out) { *out << row.rule; }

class KubeconfigRules : public ::testing::TestWithParam<Row> {};

// The rule, as a test name: "the first file to set current-context wins"
// -> the_first_file_to_set_current_context_wins.
std::string RuleName(const ::testing::TestParamInfo<Row>& info) {
  std::string name;
  for (const char* c = info.param.rule; *c; ++c) {
    if (std::isalnum(static_cast<unsigned char>(*c))) {
      name += *c;
    } else if (!name.empty() && name.back() != '_') {
      name += '_';
    }
  }
  while (!name.empty() && name.back() == '_') name.pop_back();
  return name + "_" + std::to_string(info.index);
}

std::string Expand(std::string s, const std::string& dir) {
  for (auto at = s.find("<dir>"); at != std::string::npos; at = s.find("<dir>")) s.replace(at, 5, dir);
  return s;
}

TEST_P(KubeconfigRules, Hold) {
  const Row& row = GetParam();
  TempDir dir;
  dir.Write("a.yaml", kFileA);
  dir.Write("sub/b.yaml", kFileB);
  dir.Write("sub/ca.pem", "CA-OF-B");
  dir.Write("c.yaml", kNoCurrent);
  dir.Write("empty.yaml", "");
  if (row.home_config) dir.Write("home/.kube/config", kFileA);
  KubeconfigEnvironment env;
  if (row.kubeconfig_var != "-") env.kubeconfig_var = Expand(row.kubeconfig_var, dir.path());
  env.home = dir.path() + "/home";
  env.service_account_dir = dir.path() + "/no-service-account";
  KubeconfigFlags flags = row.flags;
  flags.kubeconfig = Expand(flags.kubeconfig, dir.path());
  Result<KubeConfig> got = LoadClientConfig(flags, env);
  if (!row.error.empty()) {
    ASSERT_FALSE(got.ok()) << row.rule << ": loaded " << got->server;
    EXPECT_NE(got.error().find(Expand(row.error, dir.path())), std::string::npos) << row.rule << ": " << got.error();
    return;
  }
  ASSERT_TRUE(got.ok()) << row.rule << ": " << got.error();
  EXPECT_EQ(got->server, row.server) << row.rule;
  EXPECT_EQ(got->default_namespace, row.ns) << row.rule;
  EXPECT_EQ(got->token, row.token) << row.rule;
  EXPECT_EQ(got->ca_pem, row.ca) << row.rule;
}

Row Ok(const char* rule, std::string var, KubeconfigFlags flags, bool home_config, std::string server,
       std::string ns, std::string token, std::string ca) {
  return Row{rule, std::move(var), std::move(flags), home_config, std::move(server), std::move(ns),
             std::move(token), std::move(ca), ""};
}

Row Err(const char* rule, std::string var, KubeconfigFlags flags, bool home_config, std::string error) {
  return Row{rule, std::move(var), std::move(flags), home_config, "", "", "", "", std::move(error)};
}

KubeconfigFlags Flags(std::string kubeconfig, std::string context = "", std::string cluster = "",
                      std::string user = "", std::string ns = "") {
  KubeconfigFlags f;
  f.kubeconfig = std::move(kubeconfig);
  f.context = std::move(context);
  f.cluster = std::move(cluster);
  f.user = std::move(user);
  f.namespace_name = std::move(ns);
  return f;
}

INSTANTIATE_TEST_SUITE_P(
    ClientGo, KubeconfigRules,
    ::testing::Values(
        Ok("--kubeconfig is used alone, $KUBECONFIG ignored", "<dir>/sub/b.yaml", Flags("<dir>/a.yaml"),
            false, "https://127.0.0.1:6443", "team-a", "a-token", ""),
        Err("--kubeconfig that does not exist is an error", "-", Flags("<dir>/missing.yaml"), true, "missing.yaml does not exist"),
        Ok("the first file to set current-context wins", "<dir>/a.yaml:<dir>/sub/b.yaml", Flags(""),
            false, "https://127.0.0.1:6443", "team-a", "a-token", ""),
        Ok("a later file's current-context counts when earlier ones set none",
            "<dir>/c.yaml:<dir>/sub/b.yaml", Flags(""), false, "https://127.0.0.2:6443", "default", "b-bob",
            "CA-OF-B"),
        Ok("entries only a later file names are there", "<dir>/a.yaml:<dir>/sub/b.yaml", Flags("", "b"),
            false, "https://127.0.0.2:6443", "default", "b-bob", "CA-OF-B"),
        Ok("the first file to name a context keeps it whole", "<dir>/a.yaml:<dir>/sub/b.yaml",
            Flags("", "shared"), false, "https://127.0.0.1:6443", "default", "a-token", ""),
        Ok("the first file to name a user keeps it whole: b's tokenFile is not merged into a's alice",
            "<dir>/a.yaml:<dir>/sub/b.yaml", Flags("", "a", "", "alice"), false, "https://127.0.0.1:6443",
            "team-a", "a-token", ""),
        Err("the first file to name a user keeps it whole: b first, b's alice (and its tokenFile)",
            "<dir>/sub/b.yaml:<dir>/a.yaml", Flags("", "a", "", "alice"), false, "cannot read tokenFile <dir>/sub/nope"),
        Ok("empty and missing entries in $KUBECONFIG are skipped", "::<dir>/gone.yaml::<dir>/empty.yaml:<dir>/a.yaml",
            Flags(""), false, "https://127.0.0.1:6443", "team-a", "a-token", ""),
        Ok("$KUBECONFIG unset: ~/.kube/config", "-", Flags(""), true, "https://127.0.0.1:6443", "team-a",
            "a-token", ""),
        Err("$KUBECONFIG set: ~/.kube/config is not read", "<dir>/gone.yaml", Flags(""), true, "no kubeconfig found"),
        Err("no file at all and not in a pod", "-", Flags(""), false, "not running in a cluster"),
        Ok("--context picks another context", "<dir>/a.yaml:<dir>/sub/b.yaml", Flags("", "b"), false,
            "https://127.0.0.2:6443", "default", "b-bob", "CA-OF-B"),
        Ok("--cluster and --user override the context's", "<dir>/a.yaml:<dir>/sub/b.yaml",
            Flags("", "a", "two", "bob"), false, "https://127.0.0.2:6443", "team-a", "b-bob", "CA-OF-B"),
        Ok("-n wins over the context's namespace", "<dir>/a.yaml", Flags("", "", "", "", "other"), false,
            "https://127.0.0.1:6443", "other", "a-token", ""),
        Ok("relative paths resolve against their own file's folder", "<dir>/a.yaml:<dir>/sub/b.yaml",
            Flags("", "", "two", "bob"), false, "https://127.0.0.2:6443", "team-a", "b-bob", "CA-OF-B"),
        Err("an unknown --context is an error naming it", "<dir>/a.yaml", Flags("", "nope"), false, "context \"nope\" not found"),
        Err("no current-context and no --context", "<dir>/c.yaml", Flags(""), false, "no current-context: pass --context"),
        Err("--as-group without --as", "<dir>/a.yaml",
            [] { KubeconfigFlags f; f.as_groups = {"g"}; return f; }(), false, "--as-group needs --as")),
    RuleName);

TEST(KubeconfigFiles, SplitsTheListAndKnowsAnExplicitFile) {
  bool explicit_file = true;
  EXPECT_EQ(KubeconfigFiles("", std::string("/a::/b:"), "/h", &explicit_file),
            (std::vector<std::string>{"/a", "/b"}));
  EXPECT_FALSE(explicit_file);
  EXPECT_EQ(KubeconfigFiles("/x", std::string("/a"), "/h", &explicit_file), (std::vector<std::string>{"/x"}));
  EXPECT_TRUE(explicit_file);
  EXPECT_EQ(KubeconfigFiles("", std::nullopt, "/h", &explicit_file),
            (std::vector<std::string>{"/h/.kube/config"}));
  EXPECT_TRUE(KubeconfigFiles("", std::string(""), "", &explicit_file).empty());
}

TEST(KubeconfigMerge, ABadFileIsAnErrorNamingIt) {
  TempDir dir;
  std::string bad = dir.Write("bad.yaml", "clusters: {not: a list}\n");
  Result<MergedKubeconfig> merged = MergeKubeconfigFiles({bad}, false);
  ASSERT_FALSE(merged.ok());
  EXPECT_NE(merged.error().find(bad), std::string::npos) << merged.error();
  EXPECT_NE(merged.error().find("clusters is not a list"), std::string::npos) << merged.error();
}

}  // namespace
}  // namespace keyward
