#include "controllers/template_users.h"

namespace keyward {

std::string TemplateId(const TemplateRef& ref, const std::string& ns) {
  return ref.cluster() ? ref.kind + "/" + ref.name : ref.kind + "/" + ns + "/" + ref.name;
}

std::vector<std::string> TemplateUsers::Set(const std::string& apikey, const std::string& template_id) {
  std::lock_guard lock(mu_);
  auto it = template_of_.find(apikey);
  const std::string before = it == template_of_.end() ? "" : it->second;
  if (before == template_id) return {};
  std::vector<std::string> changed;
  if (!before.empty()) {
    auto users = users_.find(before);
    users->second.erase(apikey);
    if (users->second.empty()) users_.erase(users);
    changed.push_back(before);
  }
  if (template_id.empty()) {
    template_of_.erase(it);
  } else {
    template_of_[apikey] = template_id;
    users_[template_id].insert(apikey);
    changed.push_back(template_id);
  }
  return changed;
}

std::vector<std::string> TemplateUsers::UsersOf(const std::string& template_id) const {
  std::lock_guard lock(mu_);
  auto it = users_.find(template_id);
  if (it == users_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

std::size_t TemplateUsers::CountOf(const std::string& template_id) const {
  std::lock_guard lock(mu_);
  auto it = users_.find(template_id);
  return it == users_.end() ? 0 : it->second.size();
}

}  // namespace keyward
