// --forward-auth-path: where forward-auth takes its target from when a proxy
// forwards the original URI. "/logs/{namespace}/{pod}/{container}" matched
// against X-Original-URI (nginx) or X-Forwarded-Uri (Traefik, ingress-nginx).
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "keys/access_rules.h"

namespace keyward {

class ForwardAuthPath {
 public:
  // Parses |pattern|: segments separated by '/', each a literal or one of
  // {namespace} (required), {pod}, {container}, {action}, each at most once,
  // a placeholder filling a whole segment. An error names what is wrong.
  static Result<ForwardAuthPath> Parse(std::string_view pattern);

  // The target the URI names (its query is ignored; every segment must be
  // there, no more); nullopt when |uri| does not match. A placeholder takes
  // one segment, never a '/'; action defaults to "log".
  std::optional<AccessTarget> Match(std::string_view uri) const;

  const std::string& pattern() const { return pattern_; }

 private:
  enum class Part { kLiteral, kNamespace, kPod, kContainer, kAction };
  struct Segment {
    Part part;
    std::string literal;
  };
  std::string pattern_;
  std::vector<Segment> segments_;
};

}  // namespace keyward
