// The operator never crashes on input: every field of every shipped example,
// and of a plausible status, is replaced by values of every JSON type; the
// validator must answer with field errors and the controller must reconcile
// (to Active or Invalid) without throwing. Garbage YAML text must be refused
// with an error, not an exception. Run under ASan+UBSan too.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <random>

#include "api/apikey.h"
#include "keys/key_format.h"
#include "controllers/controller_harness.h"
#include "api/validation.h"

namespace keyward {
namespace {

namespace fs = std::filesystem;
const std::string kExamples = std::string(KEYWARD_SOURCE_DIR) + "/examples";

// A real key, pasted where it does not belong: no message may echo it.
const std::string& PastedKey() {
  static const std::string key = MintKey();
  return key;
}

std::vector<value> Replacements() {
  value list_of_numbers = value::array({value::number(1), value::number(2)});
  value object = value::object();
  object["unexpected"] = value::number(1);
  return {value::null(),           value::number(0),        value::number(-1),
          value::number(1e300),    value::boolean(true),    value::string(""),
          value::string(std::string(5000, 'x')),           value::string("\xff\xfe\x00\x01"),
          value::string(PastedKey()), value::array(),       list_of_numbers,
          object};
}

std::vector<value> ValidExamples() {
  std::vector<value> out;
  for (const auto& entry : fs::directory_iterator(kExamples)) {
    if (entry.path().extension() != ".yaml") continue;
    ManifestLoad load = LoadManifests(entry.path().string());
    for (auto& doc : load.documents) out.push_back(doc.object);
  }
  return out;
}

// A status as keyward would have written it, so status fields get mutated too.
value PlausibleStatus() {
  return value::parse(R"({
    "phase": "Active", "keyHint": "kw_AbC1…9xQ2",
    "keyHash": "hmac-sha256:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
    "secretName": "x-apikey", "expiresAt": "2027-01-01T00:00:00Z",
    "previousKey": {"keyHash": "hmac-sha256:00", "validUntil": "2026-11-22T13:00:00Z"},
    "usage": {"today": 1, "thisMonth": 2, "total": 3}, "observedGeneration": 1,
    "conditions": [{"type": "Ready", "status": "True", "reason": "Minted", "message": "m",
                    "lastTransitionTime": "2026-11-22T11:00:00Z", "observedGeneration": 1}]})");
}

// Calls |visit| with a copy of |root| in which the value at one path is
// replaced, for every path below |root| and every replacement.
// |visit| gets the mutated copy, a description, and whether the mutation
// puts a non-null value of another JSON type into the spec, which must be
// rejected.
using Visit = std::function<void(const value&, const std::string&, bool type_changed_in_spec)>;

value::value_type TypeOf(const value& v) { return v.type(); }

void ForEachMutation(const value& root, const Visit& visit) {
  std::vector<std::vector<std::string>> paths;  // object keys; array indices as "#i"
  std::function<void(const value&, std::vector<std::string>)> walk = [&](const value& v,
                                                                         std::vector<std::string> at) {
    if (!at.empty()) paths.push_back(at);
    if (v.is_object()) {
      for (const auto& [k, child] : v.as_object()) {
        auto next = at;
        next.push_back(k);
        walk(child, next);
      }
    } else if (v.is_array()) {
      for (std::size_t i = 0; i < v.size(); ++i) {
        auto next = at;
        next.push_back("#" + std::to_string(i));
        walk(v.at(i), next);
      }
    }
  };
  walk(root, {});
  for (const auto& path : paths) {
    for (const value& replacement : Replacements()) {
      value copy = root;
      value* node = &copy;
      std::string name;
      for (std::size_t i = 0; i < path.size(); ++i) {
        const std::string& step = path[i];
        node = step[0] == '#' ? &(*node)[std::stoul(step.substr(1))] : &(*node)[step];
        name += (i ? "." : "") + step;
      }
      bool type_changed = path[0] == "spec" && !replacement.is_null() &&
                          TypeOf(*node) != TypeOf(replacement);
      *node = replacement;
      visit(copy, name + " = " + replacement.serialize().substr(0, 40), type_changed);
    }
  }
}

TEST(HostileInput, EveryFieldOfEveryTypeGivesErrorsNotCrashes) {
  const TimePoint now = *ParseRfc3339("2026-11-22T12:00:00Z");
  std::vector<value> examples = ValidExamples();
  ASSERT_GE(examples.size(), 8u);
  int mutations = 0, rejected = 0;
  for (value example : examples) {
    example["status"] = PlausibleStatus();
    ForEachMutation(example, [&](const value& mutated, const std::string& what, bool must_reject) {
      ++mutations;
      FieldErrors errors;
      ASSERT_NO_THROW(errors = CheckApiKeyObject(mutated, now, /*creating=*/false)) << what;
      for (const FieldError& e : errors) {
        EXPECT_FALSE(e.path.empty()) << what;
        EXPECT_FALSE(e.reason.empty()) << what;
        EXPECT_EQ(e.String().find(PastedKey()), std::string::npos)
            << what << ": an error echoes a key: " << e.String();
      }
      if (must_reject) {
        EXPECT_FALSE(errors.empty()) << what << ": wrong JSON type accepted";
      }
      rejected += !errors.empty();
    });
  }
  EXPECT_GT(mutations, 3000);
  std::printf("%d mutations, %d rejected with field errors\n", mutations, rejected);
}

TEST(HostileInput, ControllerReconcilesMutatedObjectsWithoutThrowing) {
  std::vector<value> examples = ValidExamples();
  int reconciled = 0;
  for (value example : examples) {
    example["metadata"]["namespace"] = value::string("team-a");
    example["metadata"]["uid"] = value::string("uid-1");
    example["metadata"]["creationTimestamp"] = value::string("2026-11-22T11:00:00Z");
    example["metadata"]["generation"] = value::number(1);
    example["status"] = PlausibleStatus();
    const std::string name = example["metadata"]["name"].as_string();
    ForEachMutation(example, [&](const value& mutated, const std::string& what, bool) {
      Harness h;  // a fresh fake API server and index for each mutation
      value object = mutated;
      // The API server always has a name and namespace; keep them addressable.
      if (!object.is_object()) return;
      object["metadata"] = example["metadata"];
      h.kube.Put(ApiKeyPath(name), object);
      ASSERT_NO_THROW(h.Reconcile(name)) << what;
      // Whatever happened, no key pasted into the spec reaches status or events.
      value after = h.kube.Object(ApiKeyPath(name));
      bool pasted_into_status = what.rfind("status", 0) == 0;  // the test put it there
      if (after.has_field("status") && !pasted_into_status) {
        EXPECT_EQ(after.at("status").serialize().find(PastedKey()), std::string::npos) << what;
      }
      for (const std::string& m : h.events.messages) {
        EXPECT_EQ(m.find(PastedKey()), std::string::npos) << what << ": " << m;
      }
      ++reconciled;
    });
  }
  EXPECT_GT(reconciled, 500);
}

TEST(HostileInput, DeepNestingAndAliasBombsAreRefusedWithAReason) {
  ManifestLoad deep;
  ParseManifestText("spec: " + std::string(5000, '[') + std::string(5000, ']') + "\n", "deep.yaml",
                    &deep);
  ASSERT_EQ(deep.errors.size(), 1u);
  EXPECT_NE(deep.errors[0].find("deep.yaml"), std::string::npos) << deep.errors[0];
  // Nine levels of ten aliases each: a billion values if expanded.
  std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 9; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + prev;
    for (int j = 1; j < 10; ++j) bomb += ", " + prev;
    bomb += "]\n";
  }
  ManifestLoad bombed;
  ParseManifestText(bomb, "bomb.yaml", &bombed);
  ASSERT_EQ(bombed.errors.size(), 1u);
  EXPECT_NE(bombed.errors[0].find("aliases"), std::string::npos) << bombed.errors[0];
  EXPECT_TRUE(bombed.documents.empty());
}

TEST(HostileInput, GarbageManifestTextIsAnErrorNotAnException) {
  std::mt19937 rng(42);
  std::vector<std::string> texts = {"", "---\n---\n", "{", "[1, 2", "a: b: c", "\t- x",
                                    "apiVersion: [", "kind: ApiKey\nspec: {access: [", "\xff\xfe",
                                    std::string(100000, '['), "*alias", "&a [*a, *a]"};
  std::string example = "apiVersion: keyward.io/v1alpha1\nkind: ApiKey\nmetadata: {name: a}\n"
                        "spec:\n  description: d\n  access: [{scope: namespace, namespaces: [p]}]\n";
  for (std::size_t cut = 0; cut < example.size(); cut += 3) texts.push_back(example.substr(0, cut));
  for (int i = 0; i < 200; ++i) {
    std::string noisy = example;
    for (int j = 0; j < 3; ++j) noisy[rng() % noisy.size()] = static_cast<char>(rng() % 256);
    texts.push_back(noisy);
  }
  const TimePoint now = *ParseRfc3339("2026-11-22T12:00:00Z");
  for (const std::string& text : texts) {
    ManifestLoad load;
    ASSERT_NO_THROW(ParseManifestText(text, "fuzz.yaml", &load)) << text.substr(0, 60);
    for (const auto& doc : load.documents) {
      ASSERT_NO_THROW(CheckApiKeyObject(doc.object, now, true)) << text.substr(0, 60);
    }
  }
}

}  // namespace
}  // namespace keyward
