#include "kube/credentials.h"

#include <gtest/gtest.h>

#include <cpprest/json.h>

#include "kube/kube_config.h"
#include "testing/temp_dir.h"

namespace keyward {
namespace {

using testing::TempDir;
constexpr const char* kV1 = "client.authentication.k8s.io/v1";

std::string Output(const std::string& token, const std::string& expires = "",
                   const std::string& api_version = kV1) {
  std::string status = "\"token\":\"" + token + "\"";
  if (!expires.empty()) status += ",\"expirationTimestamp\":\"" + expires + "\"";
  return "{\"apiVersion\":\"" + api_version + "\",\"kind\":\"ExecCredential\",\"status\":{" + status + "}}";
}

TEST(ParseExecCredential, TokenCertificateAndExpiry) {
  auto ok = ParseExecCredential(Output("t1", "2026-12-07T10:00:00Z"), kV1);
  ASSERT_TRUE(ok.ok()) << ok.error();
  EXPECT_EQ(ok->credential.token, "t1");
  EXPECT_EQ(ok->expires, ParseRfc3339("2026-12-07T10:00:00Z"));
  auto cert = ParseExecCredential(
      std::string("{\"apiVersion\":\"") + kV1 +
          "\",\"kind\":\"ExecCredential\",\"status\":{\"clientCertificateData\":\"C\",\"clientKeyData\":\"K\"}}",
      kV1);
  ASSERT_TRUE(cert.ok()) << cert.error();
  EXPECT_EQ(cert->credential.cert_pem, "C");
  EXPECT_FALSE(cert->expires);
}

TEST(ParseExecCredential, RefusesWhatClientGoRefusesWithoutQuotingIt) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"secret-token-not-json", "not JSON"},
      {Output("t", "", "client.authentication.k8s.io/v1beta1"), "not \"client.authentication.k8s.io/v1\""},
      {std::string("{\"apiVersion\":\"") + kV1 + "\",\"kind\":\"Other\",\"status\":{\"token\":\"t\"}}", "kind"},
      {std::string("{\"apiVersion\":\"") + kV1 + "\",\"kind\":\"ExecCredential\"}", "no status"},
      {std::string("{\"apiVersion\":\"") + kV1 + "\",\"kind\":\"ExecCredential\",\"status\":{}}", "neither"},
      {std::string("{\"apiVersion\":\"") + kV1 +
           "\",\"kind\":\"ExecCredential\",\"status\":{\"clientCertificateData\":\"C\"}}",
       "only one"},
      {Output("t", "tomorrow"), "not an RFC 3339 time"},
      {Output("t\\r\\nX-Evil: 1"), "space or control character"},  // header injection
  };
  for (const auto& [out, words] : bad) {
    auto r = ParseExecCredential(out, kV1);
    ASSERT_FALSE(r.ok()) << out;
    EXPECT_NE(r.error().find(words), std::string::npos) << r.error();
    EXPECT_EQ(r.error().find("secret-token"), std::string::npos) << r.error();
  }
}

KubeConfig ExecKubeConfig(const std::string& mode = "Never", bool cluster_info = false) {
  KubeConfig c;
  c.server = "https://127.0.0.1:6443";
  c.ca_pem = "CA";
  c.exec = ExecConfig{kV1, "plugin", {"--flag"}, {{"A", "1"}}, mode, cluster_info, "install it", "u"};
  return c;
}

// A plugin that counts its runs and answers from a script of outputs.
struct FakePlugin {
  std::vector<Result<ProcessOutput>> answers;
  std::vector<ProcessSpec> runs;
  Result<ProcessOutput> operator()(const ProcessSpec& spec) {
    runs.push_back(spec);
    if (runs.size() > answers.size()) return Status::Error("no more answers");
    return answers[runs.size() - 1];
  }
};

TEST(ExecCredentials, CachedUntilExpiryThenRunAgain) {
  FakePlugin plugin;
  plugin.answers = {ProcessOutput{0, Output("first", "2026-12-07T10:00:00Z")},
                    ProcessOutput{0, Output("second", "2026-12-07T11:00:00Z")}};
  TimePoint now = *ParseRfc3339("2026-12-07T09:00:00Z");
  ExecCredentials creds(ExecKubeConfig(), false, std::ref(plugin), [&] { return now; });
  EXPECT_EQ(creds.Get()->token, "first");
  now = *ParseRfc3339("2026-12-07T09:59:59Z");
  EXPECT_EQ(creds.Get()->token, "first");
  EXPECT_EQ(plugin.runs.size(), 1u);
  now = *ParseRfc3339("2026-12-07T10:00:00Z");
  EXPECT_EQ(creds.Get()->token, "second");
  EXPECT_EQ(plugin.runs.size(), 2u);

  const ProcessSpec& spec = plugin.runs[0];
  EXPECT_EQ(spec.command, "plugin");
  EXPECT_EQ(spec.args, std::vector<std::string>{"--flag"});
  EXPECT_FALSE(spec.inherit_stdin);
  ASSERT_EQ(spec.env.size(), 2u);
  EXPECT_EQ(spec.env[0], (std::pair<std::string, std::string>{"A", "1"}));
  EXPECT_EQ(spec.env[1].first, "KUBERNETES_EXEC_INFO");
  auto info = web::json::value::parse(spec.env[1].second);
  EXPECT_EQ(info.at("apiVersion").as_string(), kV1);
  EXPECT_FALSE(info.at("spec").at("interactive").as_bool());
  EXPECT_FALSE(info.at("spec").has_field("cluster"));
}

TEST(ExecCredentials, A401RunsThePluginAgain) {
  FakePlugin plugin;
  plugin.answers = {ProcessOutput{0, Output("stale")}, ProcessOutput{0, Output("fresh")}};
  ExecCredentials creds(ExecKubeConfig(), false, std::ref(plugin));
  Credential used = *creds.Get();
  EXPECT_EQ(creds.Get()->token, "stale");  // no expiry: kept
  EXPECT_TRUE(creds.Rejected(used));
  EXPECT_EQ(creds.Get()->token, "fresh");
  EXPECT_TRUE(creds.Rejected(used));  // an older credential: the fresh one stays
  EXPECT_EQ(creds.Get()->token, "fresh");
  EXPECT_EQ(plugin.runs.size(), 2u);
}

TEST(ExecCredentials, InteractiveModesAndClusterInfo) {
  FakePlugin plugin;
  plugin.answers = {ProcessOutput{0, Output("t")}, ProcessOutput{0, Output("t")}};
  auto always_no_tty = ExecCredentials(ExecKubeConfig("Always"), false, std::ref(plugin)).Get();
  ASSERT_FALSE(always_no_tty.ok());
  EXPECT_NE(always_no_tty.error().find("needs a terminal"), std::string::npos);
  EXPECT_TRUE(plugin.runs.empty());

  ASSERT_TRUE(ExecCredentials(ExecKubeConfig("IfAvailable", true), true, std::ref(plugin)).Get().ok());
  ASSERT_EQ(plugin.runs.size(), 1u);
  EXPECT_TRUE(plugin.runs[0].inherit_stdin);
  auto info = web::json::value::parse(plugin.runs[0].env.back().second);
  EXPECT_TRUE(info.at("spec").at("interactive").as_bool());
  EXPECT_EQ(info.at("spec").at("cluster").at("server").as_string(), "https://127.0.0.1:6443");
  EXPECT_EQ(info.at("spec").at("cluster").at("certificate-authority-data").as_string(), "Q0E=");
}

TEST(ExecCredentials, FailuresNameThePluginAndGiveTheInstallHint) {
  FakePlugin plugin;
  plugin.answers = {Status::Error("cannot run plugin: not found"), ProcessOutput{3, ""}};
  ExecCredentials creds(ExecKubeConfig(), false, std::ref(plugin));
  auto missing = creds.Get();
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("exec plugin plugin (user \"u\"): cannot run plugin: not found\ninstall it"),
            std::string::npos)
      << missing.error();
  auto exited = creds.Get();
  ASSERT_FALSE(exited.ok());
  EXPECT_NE(exited.error().find("exited with status 3"), std::string::npos) << exited.error();
}

TEST(ExecCredentials, RunsARealPluginWithItsEnvironment) {
  TempDir dir;
  std::string script = dir.Write("plugin.sh", R"(#!/bin/sh
case "$KUBERNETES_EXEC_INFO" in *'"interactive":false'*) ;; *) exit 9 ;; esac
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}' "$GREETING"
)", 0755);
  KubeConfig c = ExecKubeConfig();
  c.exec->command = script;
  c.exec->args.clear();
  c.exec->env = {{"GREETING", "from-env"}};
  auto got = MakeCredentialSource(c)->Get();
  ASSERT_TRUE(got.ok()) << got.error();
  EXPECT_EQ(got->token, "from-env");
}

}  // namespace
}  // namespace keyward
