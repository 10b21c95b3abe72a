#include "base/glob.h"

namespace keyward {
namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

// Parses the class starting at pattern[i] == '['. On success sets *end to
// the index after ']' and returns true; *matched says whether c is in it.
bool MatchClass(std::string_view p, std::size_t i, char c, std::size_t* end, bool* matched) {
  std::size_t j = i + 1;
  bool negate = j < p.size() && p[j] == '!';
  if (negate) ++j;
  bool in = false;
  bool any = false;
  while (j < p.size() && p[j] != ']') {
    char lo = p[j];
    char hi = lo;
    if (j + 2 < p.size() && p[j + 1] == '-' && p[j + 2] != ']') {
      hi = p[j + 2];
      j += 3;
    } else {
      j += 1;
    }
    if (lo <= c && c <= hi) in = true;
    any = true;
  }
  if (j >= p.size() || !any) return false;
  *end = j + 1;
  *matched = in != negate;
  return true;
}

}  // namespace

std::optional<std::string> ValidateGlob(std::string_view p) {
  auto at = [](std::size_t i) { return " at position " + std::to_string(i + 1); };
  if (p.empty()) return "invalid glob: empty pattern";
  if (p.size() > 253) return "invalid glob: longer than 253 characters";
  for (std::size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '*' || c == '?') continue;
    if (c == '.' && i + 1 < p.size() && (p[i + 1] == '*' || p[i + 1] == '+')) {
      return "invalid glob: '.*' looks like a regular expression; globs use '*' alone (web-*)";
    }
    if (c == '[') {
      std::size_t j = i + 1;
      if (j < p.size() && p[j] == '!') ++j;
      std::size_t first = j;
      while (j < p.size() && p[j] != ']') {
        if (!IsNameChar(p[j])) {
          return std::string("invalid glob: character '") + p[j] + "' not allowed in a class" + at(j);
        }
        if (p[j] == '-' && j > first && j + 1 < p.size() && p[j + 1] != ']' && p[j - 1] > p[j + 1]) {
          return "invalid glob: reversed range in class" + at(j);
        }
        ++j;
      }
      if (j >= p.size()) return "invalid glob: unclosed '['" + at(i);
      if (j == first) return "invalid glob: empty class '[]'" + at(i);
      i = j;
      continue;
    }
    if (c >= 'A' && c <= 'Z') {
      return "invalid glob: names are lowercase (DNS-1123), found '" + std::string(1, c) + "'" + at(i);
    }
    if (c == '^' || c == '$' || c == '+' || c == '(' || c == ')' || c == '\\' || c == '|' ||
        c == '{' || c == '}') {
      return std::string("invalid glob: '") + c +
             "' is a regular-expression character; patterns are anchored globs using * ? [..]";
    }
    if (!IsNameChar(c)) {
      return std::string("invalid glob: character '") + c + "' is not allowed" + at(i);
    }
  }
  return std::nullopt;
}

bool GlobMatch(std::string_view p, std::string_view s) {
  std::size_t pi = 0, si = 0;
  std::size_t star_p = std::string_view::npos, star_s = 0;
  while (si < s.size()) {
    if (pi < p.size()) {
      char pc = p[pi];
      if (pc == '*') {
        star_p = pi++;
        star_s = si;
        continue;
      }
      if (pc == '?') {
        ++pi;
        ++si;
        continue;
      }
      if (pc == '[') {
        std::size_t end;
        bool matched;
        if (!MatchClass(p, pi, s[si], &end, &matched)) return false;
        if (matched) {
          pi = end;
          ++si;
          continue;
        }
      } else if (pc == s[si]) {
        ++pi;
        ++si;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    pi = star_p + 1;
    si = ++star_s;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

}  // namespace keyward
