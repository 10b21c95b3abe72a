#include "cmd/run_options.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace keyward {
namespace {

RunOptionsParse Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "run");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  RunEnvironment env{"", "", "host-a", 42};
  return ParseRunOptions(static_cast<int>(argv.size()), argv.data(), env);
}

TEST(RunOptions, DefaultsAreUsable) {
  RunOptionsParse p = Parse({"--kubeconfig=/tmp/kc"});
  ASSERT_TRUE(p.options) << p.error;
  EXPECT_EQ(p.options->kubeconfig, "/tmp/kc");
  EXPECT_GE(p.options->workers, 1);
  EXPECT_EQ(p.options->https_port, 9443);
  EXPECT_EQ(p.options->metrics_port, 8080);
  EXPECT_EQ(p.options->lease_duration, std::chrono::seconds(15));
  EXPECT_EQ(p.options->identity, "host-a_42");
  EXPECT_EQ(p.options->operator_namespace, "keyward-system");
}

// Defaults that come from the process: $KUBECONFIG and the pod's namespace.
TEST(RunOptions, EnvironmentGivesDefaults) {
  std::string run = "run";
  char* argv[] = {run.data()};
  RunEnvironment env{"/home/me/.kube/config", "keyward", "pod-1", 7};
  RunOptionsParse p = ParseRunOptions(1, argv, env);
  ASSERT_TRUE(p.options) << p.error;
  EXPECT_EQ(p.options->kubeconfig, "/home/me/.kube/config");
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

// The endpoint flags are checked but not served yet: help says so, and a
// flag given explicitly is reported so `keyward run` can warn about it.
TEST(RunOptions, EndpointFlagsGivenAreReportedAsInert) {
  RunOptionsParse help = Parse({"--help"});
  EXPECT_NE(help.help.find("serves no HTTPS endpoints"), std::string::npos) << help.help;
  EXPECT_NE(help.help.find("--tls-cert-file"), std::string::npos);

  RunOptionsParse none = Parse({"--workers=2"});
  ASSERT_TRUE(none.options) << none.error;
  EXPECT_TRUE(none.options->inert_flags.empty());

  RunOptionsParse some = Parse({"--tls-cert-file=/tls/tls.crt", "--https-port=9444", "--workers=2"});
  ASSERT_TRUE(some.options) << some.error;
  EXPECT_EQ(some.options->inert_flags,
            (std::vector<std::string>{"--https-port", "--tls-cert-file"}));

  RunOptionsParse bad = Parse({"--https-port=70000"});
  EXPECT_FALSE(bad.options);
  EXPECT_NE(bad.error.find("--https-port"), std::string::npos) << bad.error;
}

// Each bad value is refused with a message that names the flag.
TEST(RunOptions, BadValuesNameTheFlag) {
  const std::pair<std::string, std::string> cases[] = {
      {"--kube-api-qps=abc", "--kube-api-qps"},
      {"--kube-api-qps=-5", "--kube-api-qps"},
      {"--workers=0", "--workers"},
      {"--leader-elect-lease-duration=abc", "--leader-elect-lease-duration: \"abc\""},
      {"--secret-check-interval=0s", "--secret-check-interval"},
      {"--usage-flush-interval=soon", "--usage-flush-interval"},
      {"--leader-elect-renew-deadline=20s", "--leader-elect-renew-deadline must be shorter"},
      {"--https-port=70000", "--https-port must be a TCP port"},
      {"--metrics-port=0", "--metrics-port must be a TCP port"},
      {"--metrics-port=9443", "must differ"},
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
