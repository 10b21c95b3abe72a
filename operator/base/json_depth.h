// A guard run before any JSON parser sees text from outside the process:
// RapidJSON and cpprestsdk recurse once per nesting level, so "[[[[..." of
// 1 MiB would overflow a thread's stack. Pure functions, thread-safe.
#pragma once
#include <string_view>

namespace keyward {

// Request bodies (check, webhooks, replica messages): the deepest object
// keyward reads, an AdmissionReview holding an ApiKey, nests 9 levels.
inline constexpr int kMaxBodyJsonDepth = 128;
// What the API server sends (lists, watch events, Status): any object,
// not only keyward's; kube-apiserver itself refuses writes deeper than 10,000
// levels, but nothing keyward reads is anywhere near 512.
inline constexpr int kMaxKubeJsonDepth = 512;

// True when no array or object in |text| opens more than |max_depth| levels
// deep. One pass, no recursion; brackets inside strings (with escapes) do
// not count. It does not validate JSON: the parser that runs next does.
bool JsonDepthWithin(std::string_view text, int max_depth);

}  // namespace keyward
