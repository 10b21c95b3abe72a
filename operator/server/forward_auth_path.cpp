#include "server/forward_auth_path.h"

namespace keyward {

namespace {

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 1;  // after the leading '/'
  while (true) {
    std::size_t slash = path.find('/', start);
    out.push_back(path.substr(start, slash == std::string_view::npos ? path.npos : slash - start));
    if (slash == std::string_view::npos) return out;
    start = slash + 1;
  }
}

}  // namespace

Result<ForwardAuthPath> ForwardAuthPath::Parse(std::string_view pattern) {
  const std::string shown = "--forward-auth-path \"" + std::string(pattern) + "\": ";
  if (pattern.empty() || pattern[0] != '/') return Status::Error(shown + "must start with '/'");
  ForwardAuthPath p;
  p.pattern_ = std::string(pattern);
  bool seen[5] = {};
  for (std::string_view s : Split(pattern)) {
    Segment seg{Part::kLiteral, std::string(s)};
    if (s.find_first_of("{}") != std::string_view::npos) {
      if (s == "{namespace}") seg.part = Part::kNamespace;
      else if (s == "{pod}") seg.part = Part::kPod;
      else if (s == "{container}") seg.part = Part::kContainer;
      else if (s == "{action}") seg.part = Part::kAction;
      else {
        return Status::Error(shown + "\"" + std::string(s) +
                             "\" is not a whole segment {namespace}, {pod}, {container} or {action}");
      }
      auto i = static_cast<int>(seg.part);
      if (seen[i]) return Status::Error(shown + std::string(s) + " appears twice");
      seen[i] = true;
    } else if (s.empty()) {
      return Status::Error(shown + "has an empty segment");
    }
    p.segments_.push_back(std::move(seg));
  }
  if (!seen[static_cast<int>(Part::kNamespace)]) return Status::Error(shown + "needs {namespace}");
  return p;
}

std::optional<AccessTarget> ForwardAuthPath::Match(std::string_view uri) const {
  uri = uri.substr(0, uri.find_first_of("?#"));
  if (uri.empty() || uri[0] != '/') return std::nullopt;
  std::vector<std::string_view> parts = Split(uri);
  if (parts.size() != segments_.size()) return std::nullopt;
  AccessTarget t;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const Segment& seg = segments_[i];
    std::string_view got = parts[i];
    if (seg.part == Part::kLiteral) {
      if (got != seg.literal) return std::nullopt;
      continue;
    }
    if (got.empty()) return std::nullopt;
    std::string value(got);
    switch (seg.part) {
      case Part::kNamespace: t.namespace_name = std::move(value); break;
      case Part::kPod: t.pod = std::move(value); break;
      case Part::kContainer: t.container = std::move(value); break;
      case Part::kAction: t.action = std::move(value); break;
      case Part::kLiteral: break;
    }
  }
  return t;
}

}  // namespace keyward
