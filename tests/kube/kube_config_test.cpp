#include "kube/kube_config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "base/base64.h"
#include "testing/temp_dir.h"

namespace keyward {
namespace {

// The loaders return Result<KubeConfig>; these read its error text out, so
// each test below can check the exact message.
std::optional<KubeConfig> LoadOrError(const std::string& path, std::string* error,
                                      const std::string& context = "") {
  Result<KubeConfig> r = LoadKubeconfig(path, context);
  if (!r.ok()) *error = r.error();
  return r.ok() ? std::optional<KubeConfig>(*r) : std::nullopt;
}
std::optional<KubeConfig> InClusterOrError(std::string* error,
                                           const std::string& dir = kServiceAccountDir) {
  Result<KubeConfig> r = InClusterConfig(dir);
  if (!r.ok()) *error = r.error();
  return r.ok() ? std::optional<KubeConfig>(*r) : std::nullopt;
}

namespace fs = std::filesystem;

using testing::TempDir;

const char* kKubeconfig = R"(apiVersion: v1
kind: Config
current-context: dev
contexts:
- name: dev
  context: {cluster: local, user: admin, namespace: team-a}
- name: other
  context: {cluster: remote, user: robot}
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority: pki/ca.crt
- name: remote
  cluster:
    server: https://remote:443
    certificate-authority-data: %CA_DATA%
    insecure-skip-tls-verify: true
users:
- name: admin
  user:
    client-certificate: pki/admin.crt
    client-key-data: %KEY_DATA%
- name: robot
  user:
    token: abc123
)";

std::string Kubeconfig() {
  std::string s = kKubeconfig;
  s.replace(s.find("%CA_DATA%"), 9, Base64Encode("REMOTE CA PEM"));
  s.replace(s.find("%KEY_DATA%"), 10, Base64Encode("ADMIN KEY PEM"));
  return s;
}

TEST(Kubeconfig, CurrentContextWithRelativeFilesAndData) {
  TempDir dir;
  fs::create_directories(dir.path() + "/pki");
  dir.Write("pki/ca.crt", "LOCAL CA PEM");
  dir.Write("pki/admin.crt", "ADMIN CERT PEM");
  std::string path = dir.Write("config", Kubeconfig());
  std::string error;
  auto cfg = LoadOrError(path, &error);
  ASSERT_TRUE(cfg) << error;
  EXPECT_EQ(cfg->server, "https://127.0.0.1:6443");
  EXPECT_EQ(cfg->ca_pem, "LOCAL CA PEM");
  EXPECT_EQ(cfg->client_cert_pem, "ADMIN CERT PEM");
  EXPECT_EQ(cfg->client_key_pem, "ADMIN KEY PEM");
  EXPECT_EQ(cfg->default_namespace, "team-a");
  EXPECT_FALSE(cfg->insecure_skip_tls_verify);
}

TEST(Kubeconfig, ExplicitContextWithTokenAndCaData) {
  TempDir dir;
  std::string path = dir.Write("config", Kubeconfig());
  std::string error;
  auto cfg = LoadOrError(path, &error, "other");
  ASSERT_TRUE(cfg) << error;
  EXPECT_EQ(cfg->server, "https://remote:443");
  EXPECT_EQ(cfg->ca_pem, "REMOTE CA PEM");
  EXPECT_EQ(cfg->token, "abc123");
  EXPECT_TRUE(cfg->insecure_skip_tls_verify);
}

TEST(Kubeconfig, ErrorsNameWhatIsMissing) {
  TempDir dir;
  std::string path = dir.Write("config", Kubeconfig());
  std::string error;
  EXPECT_FALSE(LoadOrError(path, &error, "nope"));
  EXPECT_NE(error.find("context \"nope\" not found"), std::string::npos) << error;
  EXPECT_FALSE(LoadOrError(path, &error));  // pki/ca.crt does not exist here
  EXPECT_NE(error.find("cannot read certificate-authority file"), std::string::npos) << error;
  EXPECT_FALSE(LoadOrError(dir.path() + "/missing", &error));
  EXPECT_NE(error.find("kubeconfig"), std::string::npos);
}

TEST(Kubeconfig, TokenFileRelativeAndBadFields) {
  TempDir dir;
  dir.Write("token", "t0k3n\n");
  std::string path = dir.Write("config", R"(current-context: c
contexts: [{name: c, context: {cluster: k, user: u}}]
clusters: [{name: k, cluster: {server: "https://[::1]:6443", certificate-authority-data: "S0VZ
  V0FSRA=="}}]
users: [{name: u, user: {tokenFile: token}}]
)");
  std::string error;
  auto cfg = LoadOrError(path, &error);
  ASSERT_TRUE(cfg) << error;
  EXPECT_EQ(cfg->server, "https://[::1]:6443");
  EXPECT_EQ(cfg->ca_pem, "KEYWARD");  // base64 folded over two lines
  EXPECT_EQ(cfg->token_file, dir.path() + "/token");

  // Each error names the file and the entry, and says what is wrong.
  auto expect_error = [&](const std::string& yaml, const std::string& want) {
    std::string p = dir.Write("bad", yaml);
    std::string e;
    EXPECT_FALSE(LoadOrError(p, &e)) << yaml;
    EXPECT_NE(e.find(p), std::string::npos) << e;
    EXPECT_NE(e.find(want), std::string::npos) << e;
  };
  const std::string ctx = "current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\n";
  const std::string in = " (" + dir.path() + "/bad)";
  expect_error("contexts: []\n", "set no current-context: pass --context");
  expect_error(ctx, "cluster \"k\" not found in");
  expect_error(ctx + "clusters: [{name: k, cluster: {}}]\n", "cluster \"k\"" + in + " has no server");
  expect_error(ctx + "clusters: [{name: k, cluster: {server: \"127.0.0.1:6443\"}}]\n",
               "cluster \"k\"" + in + ": server \"127.0.0.1:6443\" is not an http(s) URL");
  const std::string cluster = ctx + "clusters: [{name: k, cluster: {server: \"https://h\"}}]\n";
  expect_error(cluster, "user \"u\" not found in");
  expect_error(cluster + "users: [{name: u, user: {client-key-data: \"a*==\"}}]\n",
               "user \"u\"" + in + ": client-key-data is not valid base64");
  expect_error(cluster + "users: [{name: u, user: {client-key-data: \"S0VZ\"}}]\n",
               "user \"u\"" + in + " needs both client-certificate and client-key");
  expect_error(cluster + "users: [{name: u, user: {tokenFile: nope}}]\n",
               "user \"u\"" + in + ": cannot read tokenFile " + dir.path() + "/nope");
  expect_error(cluster + "users: [{name: u, user: {token: \"t\\r\\nX-Evil: 1\"}}]\n",
               "as or token holds a control character");
  expect_error(ctx + "clusters: [{name: k, cluster: {server: \"https://h\", tls-server-name: \"a\\nb\"}}]\n",
               "tls-server-name holds a control character");
  expect_error(cluster + "users: [{name: u, user: {auth-provider: {name: gcp}}}]\n",
               "uses auth-provider, which kubectl removed; use an exec credential plugin");
  expect_error(cluster + "users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, "
                         "command: p}}}]\n",
               "exec interactiveMode is required");
  expect_error(cluster + "users: [{name: u, user: {exec: {apiVersion: v1, command: p}}}]\n",
               "exec apiVersion \"v1\" is not client.authentication.k8s.io/v1 or /v1beta1");
  expect_error(ctx + "clusters: [{name: k, cluster: {server: \"https://h\", proxy-url: \"socks5://p:1080\"}}]\n",
               "speaks only to http:// proxies");
  expect_error(ctx + "clusters: [{name: k, cluster: {server: https://h, insecure-skip-tls-verify: maybe}}]\n",
               "bad conversion");  // a wrongly typed field is an error, not an exception
}

TEST(Kubeconfig, ExecPluginAndTlsSettings) {
  TempDir dir;
  std::string path = dir.Write("sub/config", R"(current-context: c
contexts: [{name: c, context: {cluster: k, user: u}}]
clusters: [{name: k, cluster: {server: "https://10.0.0.1", tls-server-name: api.internal,
  proxy-url: "http://proxy:3128"}}]
users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: ./bin/plugin,
  args: [get-token], env: [{name: A, value: b}], provideClusterInfo: true, installHint: "brew it"}}}]
)");
  std::string error;
  auto cfg = LoadOrError(path, &error);
  ASSERT_TRUE(cfg) << error;
  EXPECT_EQ(cfg->tls_server_name, "api.internal");
  EXPECT_EQ(cfg->proxy_url, "http://proxy:3128");
  ASSERT_TRUE(cfg->exec);
  EXPECT_EQ(cfg->exec->command, dir.path() + "/sub/./bin/plugin");  // relative to the file
  EXPECT_EQ(cfg->exec->args, std::vector<std::string>{"get-token"});
  EXPECT_EQ(cfg->exec->interactive_mode, "IfAvailable");  // v1beta1's default
  EXPECT_TRUE(cfg->exec->provide_cluster_info);
  EXPECT_EQ(cfg->exec->install_hint, "brew it");
  EXPECT_EQ(cfg->exec->user_name, "u");
}

class InClusterConfigTest : public ::testing::Test {
 protected:
  void TearDown() override {
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
  }
};

TEST_F(InClusterConfigTest, NeedsServiceEnvironment) {
  unsetenv("KUBERNETES_SERVICE_HOST");
  std::string error;
  EXPECT_FALSE(InClusterOrError(&error));
  EXPECT_NE(error.find("--kubeconfig"), std::string::npos);
}

TEST_F(InClusterConfigTest, ReadsServiceAccountDirectory) {
  TempDir dir;
  setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
  setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  std::string error;
  EXPECT_FALSE(InClusterOrError(&error, dir.path()));
  EXPECT_EQ(error, "in-cluster: cannot read " + dir.path() + "/ca.crt");
  dir.Write("ca.crt", "CLUSTER CA");
  EXPECT_FALSE(InClusterOrError(&error, dir.path()));
  EXPECT_EQ(error, "in-cluster: cannot read " + dir.path() + "/token");
  dir.Write("token", "sa-token");
  dir.Write("namespace", "keyward-system\n");
  auto cfg = InClusterOrError(&error, dir.path());
  ASSERT_TRUE(cfg) << error;
  EXPECT_EQ(cfg->server, "https://[fd00::1]:443");
  EXPECT_EQ(cfg->ca_pem, "CLUSTER CA");
  EXPECT_EQ(cfg->token_file, dir.path() + "/token");
  EXPECT_EQ(cfg->token, "");
  EXPECT_EQ(cfg->default_namespace, "keyward-system");
  setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
  EXPECT_EQ(InClusterOrError(&error, dir.path())->server, "https://10.96.0.1:443");
}

TEST(Base64, RoundTripsAndRejectsGarbage) {
  for (const std::string& s : std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    EXPECT_EQ(Base64Decode(Base64Encode(s)), s);
  }
  EXPECT_EQ(Base64Encode("keyward"), "a2V5d2FyZA==");
  EXPECT_FALSE(Base64Decode("abc"));
  EXPECT_FALSE(Base64Decode("a*==").has_value());
  EXPECT_EQ(Base64Decode("QQ=="), "A");  // padding is not data
  EXPECT_EQ(Base64Decode("QUI="), "AB");
  EXPECT_EQ(Base64Decode("QUJD"), "ABC");
}

}  // namespace
}  // namespace keyward
