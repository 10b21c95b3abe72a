#include "keys/compiled_rules.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <functional>
#include <mutex>
#include <string_view>
#include <unordered_map>

#include "base/glob.h"

namespace keyward {
namespace {

// Keys with the same access rules share one block: a fleet made from a few
// templates keeps a few blocks, not one per key (~150 bytes each). A block
// is found again by its words; entries of blocks no key holds any more are
// swept when the pool has doubled.
class BlockPool {
 public:
  using Block = std::shared_ptr<const std::uint32_t[]>;

  Block Intern(Block block, std::size_t words) {
    const std::string_view bytes(reinterpret_cast<const char*>(block.get()), words * 4);
    const std::size_t hash = std::hash<std::string_view>{}(bytes);
    std::lock_guard lock(mu_);
    auto range = blocks_.equal_range(hash);
    for (auto it = range.first; it != range.second; ++it) {
      if (it->second.words != words) continue;
      if (Block same = it->second.block.lock();
          same && std::memcmp(same.get(), block.get(), words * 4) == 0) {
        return same;
      }
    }
    if (blocks_.size() >= sweep_at_) {
      std::erase_if(blocks_, [](const auto& entry) { return entry.second.block.expired(); });
      sweep_at_ = std::max<std::size_t>(1024, 2 * blocks_.size());
    }
    blocks_.emplace(hash, Entry{block, words});
    return block;
  }

 private:
  struct Entry {
    std::weak_ptr<const std::uint32_t[]> block;
    std::size_t words;
  };
  std::mutex mu_;
  std::unordered_multimap<std::size_t, Entry> blocks_;  // by the hash of the words
  std::size_t sweep_at_ = 1024;
};

BlockPool& Pool() {
  static BlockPool* pool = new BlockPool();  // never destroyed: blocks outlive statics
  return *pool;
}

}  // namespace

CompiledRules::CompiledRules(const std::vector<AccessRule>& rules) {
  if (rules.empty()) return;
  std::vector<Rule> out;
  std::vector<Text> texts;
  std::string chars;
  auto add_text = [&](const std::string& s) {
    Text t{static_cast<std::uint32_t>(chars.size()), static_cast<std::uint32_t>(s.size())};
    chars += s;
    return t;
  };
  auto add_list = [&](const std::vector<std::string>& items) {
    List list{static_cast<std::uint32_t>(texts.size()), static_cast<std::uint32_t>(items.size())};
    for (const std::string& s : items) texts.push_back(add_text(s));
    return list;
  };
  for (const AccessRule& in : rules) {
    Rule r;
    std::memset(static_cast<void*>(&r), 0, sizeof(r));  // padding too: equal rules, equal blocks
    r.scope = in.scope;
    r.has_set_type = in.set_type.has_value();
    r.set_type = in.set_type.value_or(SetType::kReplica);
    r.namespaces = add_list(in.namespaces);
    r.sets = add_list(in.sets);
    r.pods = add_list(in.pods);
    r.containers = add_list(in.containers);
    r.actions = add_list(in.actions);
    r.filter = add_text(in.filter);
    out.push_back(r);
  }
  static_assert(alignof(Rule) <= alignof(std::uint32_t) && sizeof(Rule) % alignof(Text) == 0 &&
                alignof(Text) <= alignof(std::uint32_t));
  const std::size_t rules_bytes = out.size() * sizeof(Rule);
  const std::size_t texts_bytes = texts.size() * sizeof(Text);
  const std::size_t total = rules_bytes + texts_bytes + chars.size();
  const std::size_t words = (total + 3) / 4;
  // Its own allocation (not make_shared): the pool's weak reference then
  // holds only the control block of a block no key uses.
  std::shared_ptr<std::uint32_t[]> block(new std::uint32_t[words]());
  auto* at = reinterpret_cast<std::byte*>(block.get());
  std::memcpy(at, out.data(), rules_bytes);
  std::memcpy(at + rules_bytes, texts.data(), texts_bytes);
  std::memcpy(at + rules_bytes + texts_bytes, chars.data(), chars.size());
  block_ = Pool().Intern(std::move(block), words);
  count_ = static_cast<std::uint32_t>(out.size());
  texts_ = static_cast<std::uint32_t>(texts.size());
}

const CompiledRules::Rule& CompiledRules::rule(std::size_t i) const {
  return reinterpret_cast<const Rule*>(bytes())[i];
}

std::string_view CompiledRules::text(Text t) const {
  const char* chars = reinterpret_cast<const char*>(bytes()) + count_ * sizeof(Rule) +
                      texts_ * sizeof(Text);
  return std::string_view(chars + t.offset, t.size);
}

bool CompiledRules::AnyMatches(List list, std::string_view name) const {
  const Text* texts = reinterpret_cast<const Text*>(bytes() + count_ * sizeof(Rule));
  for (std::uint32_t i = 0; i < list.count; ++i) {
    if (GlobMatch(text(texts[list.first + i]), name)) return true;
  }
  return false;
}

bool CompiledRules::ActionAllowed(List list, std::string_view action) const {
  const Text* texts = reinterpret_cast<const Text*>(bytes() + count_ * sizeof(Rule));
  for (std::uint32_t i = 0; i < list.count; ++i) {
    std::string_view a = text(texts[list.first + i]);
    if (a == "*" || a == action) return true;
  }
  return false;
}

bool CompiledRules::SetMatches(const Rule& r, const AccessTarget& t, std::string* why) const {
  if (!r.has_set_type) {
    *why = "rule names no setType";
    return false;
  }
  if (r.set_type == SetType::kDeployment) {
    if (t.deployment.empty()) {
      *why = "pod is not owned by a Deployment";
      return false;
    }
    if (!AnyMatches(r.sets, t.deployment)) {
      *why = "deployment " + t.deployment + " is not in the rule's sets";
      return false;
    }
    return true;
  }
  if (!t.set_type || *t.set_type != r.set_type) {
    *why = std::string("pod is not owned by a ") + SetTypeName(r.set_type) + " set";
    return false;
  }
  if (!AnyMatches(r.sets, t.set_name)) {
    *why = "set " + t.set_name + " is not in the rule's sets";
    return false;
  }
  return true;
}

bool CompiledRules::Allows(std::size_t i, const AccessTarget& t, std::string* why) const {
  const Rule& r = rule(i);
  if (!ActionAllowed(r.actions, t.action)) {
    *why = "action " + t.action + " not granted";
    return false;
  }
  if (r.scope == Scope::kCluster) return true;

  if (!AnyMatches(r.namespaces, t.namespace_name)) {
    *why = "namespace " + t.namespace_name + " not in scope";
    return false;
  }
  // The scope's own list is required (validation guarantees it is
  // non-empty); any other list that is set narrows the rule.
  bool need_set = r.scope == Scope::kSet || r.sets.count > 0;
  bool need_pod = r.scope == Scope::kPod || r.pods.count > 0;
  bool need_container =
      r.scope == Scope::kContainer || r.scope == Scope::kFilter || r.containers.count > 0;

  if (need_set && !SetMatches(r, t, why)) return false;
  if (need_pod) {
    if (t.pod.empty()) {
      *why = "request names no pod";
      return false;
    }
    if (!AnyMatches(r.pods, t.pod)) {
      *why = "pod " + t.pod + " not in scope";
      return false;
    }
  }
  if (need_container) {
    if (t.container.empty()) {
      *why = "request names no container";
      return false;
    }
    if (!AnyMatches(r.containers, t.container)) {
      *why = "container " + t.container + " not in scope";
      return false;
    }
  }
  return true;
}

}  // namespace keyward
