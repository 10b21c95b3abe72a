#include "cmd/run_options.h"

#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

namespace keyward {
namespace {

RunOptionsParse Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "run");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  RunEnvironment env{"", "host-a", 42, 1, ""};
  return ParseRunOptions(static_cast<int>(argv.size()), argv.data(), env);
}

TEST(RunOptions, DefaultsAreUsable) {
  RunOptionsParse p = Parse({"--kubeconfig=/tmp/kc"});
  ASSERT_TRUE(p.options) << p.error;
  EXPECT_EQ(p.options->kubeconfig, "/tmp/kc");
  EXPECT_GE(p.options->workers, 1);
  EXPECT_EQ(p.options->secure_port, 9443);
  EXPECT_EQ(p.options->bind_address, "0.0.0.0");
  EXPECT_EQ(p.options->metrics_host, "0.0.0.0");
  EXPECT_EQ(p.options->metrics_port, 8080);
  EXPECT_EQ(p.options->server_threads, 1);  // the environment's cores
  EXPECT_EQ(p.options->lease_duration, std::chrono::seconds(15));
  EXPECT_EQ(p.options->identity, "host-a_42");
  EXPECT_EQ(p.options->operator_namespace, "keyward-system");
}

// Defaults that come from the process: the pod's namespace and host name.
// $KUBECONFIG is read by the loading rules, so --kubeconfig stays empty.
TEST(RunOptions, EnvironmentGivesDefaults) {
  std::string run = "run";
  char* argv[] = {run.data()};
  RunEnvironment env{"keyward", "pod-1", 7, 2, ""};
  RunOptionsParse p = ParseRunOptions(1, argv, env);
  ASSERT_TRUE(p.options) << p.error;
  EXPECT_EQ(p.options->kubeconfig, "");
  EXPECT_EQ(p.options->operator_namespace, "keyward");
  EXPECT_EQ(p.options->identity, "pod-1_7");
}

TEST(RunOptions, HelpListsEveryFlagWithoutRunning) {
  RunOptionsParse p = Parse({"--help"});
  EXPECT_FALSE(p.options);
  EXPECT_TRUE(p.error.empty());
  for (const char* flag : {"--kubeconfig", "--namespace", "--watch-namespaces", "--workers",
                           "--kube-api-qps", "--leader-elect", "--log-format"}) {
    EXPECT_NE(p.help.find(flag), std::string::npos) << flag;
  }
}

TEST(RunOptions, UsageFlushIntervalAndKeyLimit) {
  RunOptionsParse help = Parse({"--help"});
  EXPECT_NE(help.help.find("--usage-flush-interval"), std::string::npos) << help.help;
  RunOptionsParse some = Parse({"--max-keys-per-namespace=5", "--usage-flush-interval=10s"});
  ASSERT_TRUE(some.options) << some.error;
  EXPECT_EQ(some.options->usage_flush_interval, std::chrono::seconds(10));
  EXPECT_EQ(some.options->max_keys_per_namespace, 5);
  RunOptionsParse bad = Parse({"--usage-flush-interval=0s"});
  EXPECT_FALSE(bad.options);
  EXPECT_NE(bad.error.find("--usage-flush-interval"), std::string::npos) << bad.error;
}

TEST(RunOptions, MetricsBindAddressForms) {
  const std::tuple<std::string, std::string, int> cases[] = {
      {":9090", "0.0.0.0", 9090}, {"127.0.0.1:8081", "127.0.0.1", 8081},
      {"[::1]:8082", "::1", 8082}, {"0", "", 0}};
  for (const auto& [arg, host, port] : cases) {
    RunOptionsParse p = Parse({"--metrics-bind-address=" + arg});
    ASSERT_TRUE(p.options) << arg << ": " << p.error;
    EXPECT_EQ(p.options->metrics_host, host) << arg;
    EXPECT_EQ(p.options->metrics_port, port) << arg;
  }
}

// Each bad value is refused with a message that names the flag.
TEST(RunOptions, PeerFlags) {
  RunOptionsParse off = Parse({});
  ASSERT_TRUE(off.options) << off.error;
  EXPECT_EQ(off.options->peer_port, 0);
  EXPECT_EQ(off.options->peer_sync_interval, std::chrono::milliseconds(250));
  RunOptionsParse no_address = Parse({"--leader-elect", "--peer-port=8444"});
  EXPECT_NE(no_address.error.find("--peer-port needs --peer-address"), std::string::npos) << no_address.error;
  RunOptionsParse given = Parse({"--leader-elect", "--peer-port=8444", "--peer-address=10.0.0.7:8444"});
  ASSERT_TRUE(given.options) << given.error;
  EXPECT_EQ(given.options->peer_address, "10.0.0.7:8444");
  // In a pod: $POD_IP and the port.
  std::vector<std::string> args = {"run", "--leader-elect", "--peer-port=9000"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  RunEnvironment env{"", "pod", 1, 1, "10.1.2.3"};
  RunOptionsParse pod = ParseRunOptions(static_cast<int>(argv.size()), argv.data(), env);
  ASSERT_TRUE(pod.options) << pod.error;
  EXPECT_EQ(pod.options->peer_address, "10.1.2.3:9000");
  EXPECT_NE(Parse({"--leader-elect", "--peer-port=9443", "--peer-address=a:1"}).error.find("must differ"),
            std::string::npos);
}

TEST(RunOptions, WebhookPortFlags) {
  RunOptionsParse off = Parse({});
  ASSERT_TRUE(off.options) << off.error;
  EXPECT_EQ(off.options->webhook_port, 0);
  RunOptionsParse given = Parse({"--webhook-port=9444", "--webhook-client-ca-file=/etc/ca.crt"});
  ASSERT_TRUE(given.options) << given.error;
  EXPECT_EQ(given.options->webhook_port, 9444);
  EXPECT_EQ(given.options->webhook_client_ca_file, "/etc/ca.crt");
  EXPECT_NE(Parse({"--webhook-client-ca-file=/etc/ca.crt"}).error.find("needs --webhook-port"),
            std::string::npos);
  EXPECT_NE(Parse({"--webhook-port=9443"}).error.find("--webhook-port must differ"), std::string::npos);
  EXPECT_NE(Parse({"--webhook-port=70000"}).error.find("--webhook-port must be a TCP port"), std::string::npos);
}

TEST(RunOptions, BadValuesNameTheFlag) {
  const std::pair<std::string, std::string> cases[] = {
      {"--kube-api-qps=abc", "--kube-api-qps"},
      {"--kube-api-qps=-5", "--kube-api-qps"},
      {"--workers=0", "--workers"},
      {"--leader-elect-lease-duration=abc", "--leader-elect-lease-duration: \"abc\""},
      {"--secret-check-interval=0s", "--secret-check-interval"},
      {"--usage-flush-interval=soon", "--usage-flush-interval"},
      {"--leader-elect-renew-deadline=20s", "--leader-elect-renew-deadline must be shorter"},
      // A retry period as long as the deadline: one failed renew ended
      // leadership with no second try.
      {"--leader-elect-retry-period=10s", "--leader-elect-retry-period (10s) must be shorter than"},
      {"--leader-elect-retry-period=9s", "divided by 1.2"},
      {"--secure-port=70000", "--secure-port must be a TCP port"},
      {"--metrics-bind-address=8080", "--metrics-bind-address"},
      {"--metrics-bind-address=:99999", "--metrics-bind-address"},
      {"--metrics-bind-address=:9443", "different ports"},
      {"--tls-cert-file=/a.crt", "go together"},
      {"--server-threads=0", "--server-threads"},
      {"--peer-port=8444", "--peer-port needs --leader-elect"},
      {"--peer-sync-interval=0s", "--peer-sync-interval"},
      {"--log-format=xml", "--log-format"},
      {"--bogus", "--bogus"},
  };
  for (const auto& [arg, fragment] : cases) {
    RunOptionsParse p = Parse({"--kubeconfig=/tmp/kc", arg});
    EXPECT_FALSE(p.options) << arg;
    EXPECT_NE(p.error.find(fragment), std::string::npos) << arg << " -> " << p.error;
  }
}

}  // namespace
}  // namespace keyward
