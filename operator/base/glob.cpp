#include "base/glob.h"

#include <cstdint>

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

namespace {

// The characters a glob is matched over: the 38 of DNS-1123 names, one row
// for any other character, one for '/', which nothing but itself matches.
constexpr int kOtherRow = 38;
constexpr int kSlashRow = 39;
constexpr int kRows = 40;
constexpr std::size_t kMaxElements = 255;  // ValidateGlob allows 253 characters
constexpr std::size_t kWords = (kMaxElements + 1 + 63) / 64;

int RowOf(char c) {
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= '0' && c <= '9') return 26 + (c - '0');
  if (c == '-') return 36;
  if (c == '.') return 37;
  return c == '/' ? kSlashRow : kOtherRow;
}

char CharOfRow(int row) {
  if (row < 26) return static_cast<char>('a' + row);
  if (row < 36) return static_cast<char>('0' + (row - 26));
  return row == 36 ? '-' : '.';
}

// A set of NFA states: bit j is "the first j elements of the pattern are
// matched".
struct States {
  std::uint64_t w[kWords] = {};
  void Set(std::size_t j) { w[j / 64] |= std::uint64_t{1} << (j % 64); }
  bool Has(std::size_t j) const { return (w[j / 64] >> (j % 64)) & 1; }
};

// Bit j of |in| moved to bit j + 1, over |words| words.
void ShiftOne(const std::uint64_t* in, std::uint64_t* out, std::size_t words) {
  std::uint64_t carry = 0;
  for (std::size_t i = 0; i < words; ++i) {
    std::uint64_t next = in[i] >> 63;
    out[i] = (in[i] << 1) | carry;
    carry = next;
  }
}

// The pattern as an NFA: accept[row] holds the non-star elements that take a
// character of that row, stars the star elements (consecutive stars are
// one); *n the number of elements. False for a malformed or too long one.
bool Compile(std::string_view p, States* accept, States* stars, std::size_t* n) {
  *n = 0;
  for (std::size_t i = 0; i < p.size();) {
    if (*n >= kMaxElements) return false;
    char pc = p[i];
    if (pc == '*') {
      if (*n == 0 || !stars->Has(*n - 1)) stars->Set((*n)++);
      ++i;
      continue;
    }
    if (pc == '?') {
      for (int r = 0; r < kRows; ++r) {
        if (r != kSlashRow) accept[r].Set(*n);
      }
      ++*n;
      ++i;
      continue;
    }
    if (pc == '[') {
      std::size_t end = 0;
      bool matched = false;
      if (!MatchClass(p, i, 'a', &end, &matched)) return false;
      for (int r = 0; r < kOtherRow; ++r) {
        MatchClass(p, i, CharOfRow(r), &end, &matched);
        if (matched) accept[r].Set(*n);
      }
      ++*n;
      i = end;
      continue;
    }
    int row = RowOf(pc);
    if (row < kOtherRow) accept[row].Set(*n);  // any other literal matches nothing
    ++*n;
    ++i;
  }
  return true;
}

// The number of characters the star-free pattern |p| matches (a class is
// one); npos for a malformed class.
std::size_t FixedLength(std::string_view p) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < p.size(); ++n) {
    if (p[i] != '[') {
      ++i;
      continue;
    }
    std::size_t end = 0;
    bool matched = false;
    if (!MatchClass(p, i, 'a', &end, &matched)) return std::string_view::npos;
    i = end;
  }
  return n;
}

// The star-free pattern |p| against |s| of exactly its length, by the same
// rules as the NFA below: a literal or class takes only a name character,
// '?' anything but '/'.
bool MatchFixed(std::string_view p, std::string_view s) {
  std::size_t si = 0;
  for (std::size_t pi = 0; pi < p.size(); ++si) {
    if (si >= s.size()) return false;
    const char c = s[si];
    const bool name_char = RowOf(c) < kOtherRow;
    if (p[pi] == '?') {
      if (c == '/') return false;
      ++pi;
    } else if (p[pi] == '[') {
      std::size_t end = 0;
      bool matched = false;
      if (!MatchClass(p, pi, c, &end, &matched) || !matched || !name_char) return false;
      pi = end;
    } else {
      if (p[pi] != c || !name_char) return false;
      ++pi;
    }
  }
  return si == s.size();
}

// A pattern with one star at most: its prefix at the start, its suffix at
// the end, and no '/' for the star. Linear, and the common shape (web-*,
// *-prod), so it skips the NFA's set-up. |classes|: p has a '[' somewhere.
bool MatchOneStar(std::string_view p, std::string_view s, bool classes) {
  auto length = [classes](std::string_view part) { return classes ? FixedLength(part) : part.size(); };
  std::size_t star = p.find('*');
  if (star == std::string_view::npos) return length(p) == s.size() && MatchFixed(p, s);
  std::string_view prefix = p.substr(0, star), suffix = p.substr(star + 1);
  std::size_t head = length(prefix), tail = length(suffix);
  if (head == std::string_view::npos || tail == std::string_view::npos || head + tail > s.size()) return false;
  std::string_view middle = s.substr(head, s.size() - head - tail);
  return MatchFixed(prefix, s.substr(0, head)) && MatchFixed(suffix, s.substr(s.size() - tail)) &&
         middle.find('/') == std::string_view::npos;
}

}  // namespace

// Linear in the target whatever the pattern. One star at most: prefix and
// suffix compared in place. More: a bit-parallel NFA (shift-and), where each
// character of |s| costs a few word operations. The greedy backtracking
// this replaced was O(|pattern| x |target|) on patterns such as "*a*a*a*b".
bool GlobMatch(std::string_view p, std::string_view s) {
  int star_count = 0;
  bool classes = false, questions = false;
  for (char c : p) {
    star_count += c == '*';
    classes |= c == '[';
    questions |= c == '?';
  }
  if (star_count == 0 && !classes && !questions) return p == s;
  if (star_count <= 1) return MatchOneStar(p, s, classes);
  States accept[kRows];
  States stars;
  std::size_t n = 0;
  if (!Compile(p, accept, &stars, &n)) return false;  // malformed: matches nothing
  const std::size_t words = (n + 1 + 63) / 64;
  States d, moved;
  d.Set(0);
  auto close = [&](States& x) {  // a star may match nothing: j (star) -> j + 1
    std::uint64_t at_star[kWords];
    for (std::size_t i = 0; i < words; ++i) at_star[i] = x.w[i] & stars.w[i];
    ShiftOne(at_star, moved.w, words);
    for (std::size_t i = 0; i < words; ++i) x.w[i] |= moved.w[i];
  };
  close(d);
  for (char c : s) {
    const int row = RowOf(c);
    const States& acc = accept[row];
    std::uint64_t stepped[kWords];
    for (std::size_t i = 0; i < words; ++i) stepped[i] = d.w[i] & acc.w[i];
    ShiftOne(stepped, moved.w, words);
    std::uint64_t any = 0;
    for (std::size_t i = 0; i < words; ++i) {
      std::uint64_t stay = row == kSlashRow ? 0 : (d.w[i] & stars.w[i]);  // '*' never spans '/'
      d.w[i] = moved.w[i] | stay;
      any |= d.w[i];
    }
    if (!any) return false;
    close(d);
  }
  return d.Has(n);
}

}  // namespace keyward
