// Access rules flattened into one allocation for the check path: with many
// keys none is in cache, and one block costs one miss instead of one per list.
// Immutable once built; copies share the block, and so do rules compiled
// apart that are equal (a pool finds the block by its bytes). Thread-safe.
#pragma once
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "keys/access_rules.h"

namespace keyward {

class CompiledRules {
 public:
  CompiledRules() = default;
  CompiledRules(const std::vector<AccessRule>& rules);  // NOLINT: a policy is its rules
  CompiledRules(std::initializer_list<AccessRule> rules)
      : CompiledRules(std::vector<AccessRule>(rules)) {}

  std::size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }

  Scope scope(std::size_t i) const { return rule(i).scope; }
  std::string_view filter(std::size_t i) const { return text(rule(i).filter); }

  // Whether rule |i| allows |target|; on denial *why says which part did not
  // match. Any list that is set narrows the rule, never widens it.
  bool Allows(std::size_t i, const AccessTarget& target, std::string* why) const;

  // Start of the block, for a prefetch before the rules are read.
  const void* data() const { return bytes(); }

 private:
  struct Text {  // a string inside the block
    std::uint32_t offset = 0, size = 0;
  };
  struct List {  // a run of Texts
    std::uint32_t first = 0, count = 0;
  };
  struct Rule {
    Scope scope = Scope::kNamespace;
    bool has_set_type = false;
    SetType set_type = SetType::kReplica;
    List namespaces, sets, pods, containers, actions;
    Text filter;
  };

  const Rule& rule(std::size_t i) const;
  std::string_view text(Text t) const;
  bool AnyMatches(List list, std::string_view name) const;
  bool ActionAllowed(List list, std::string_view action) const;
  bool SetMatches(const Rule& r, const AccessTarget& t, std::string* why) const;

  const std::byte* bytes() const { return reinterpret_cast<const std::byte*>(block_.get()); }

  // [Rule x count_][Text x texts_][characters], in 4-byte words so that
  // Rule and Text (both 4-byte aligned) are aligned wherever they start.
  std::shared_ptr<const std::uint32_t[]> block_;
  std::uint32_t count_ = 0;
  std::uint32_t texts_ = 0;
};

}  // namespace keyward
