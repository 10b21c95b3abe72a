// A guard run before RapidJSON parses text from outside the process: its
// parser recurses once per nesting level, so "[[[[..." of 1 MiB overflowed a
// thread's stack. (cpprestsdk's parser stops at 128 levels by itself; the
// tests hold it to that.) Pure functions, thread-safe.
#pragma once
#include <string_view>

namespace keyward {

// Request bodies (/v1/check, TokenReview, SubjectAccessReview): what they
// hold nests 4 levels; 128 is cpprestsdk's own limit for the other bodies.
inline constexpr int kMaxBodyJsonDepth = 128;
// List pages from the API server: any object, not only keyward's;
// kube-apiserver refuses writes deeper than 10,000 levels, but nothing
// keyward lists is anywhere near 512.
inline constexpr int kMaxKubeJsonDepth = 512;

// True when no array or object in |text| opens more than |max_depth| levels
// deep. One pass, no recursion; brackets inside strings (with escapes) do
// not count. It does not validate JSON: the parser that runs next does.
bool JsonDepthWithin(std::string_view text, int max_depth);

}  // namespace keyward
