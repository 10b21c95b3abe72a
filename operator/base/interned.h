// Strings that many objects repeat (a template's name on every key made from
// it), stored once for the whole process. Thread-safe; never freed.
#pragma once
#include <string>
#include <string_view>

namespace keyward {

// The one stored copy of |text|; the same pointer for equal texts. "" for
// an empty text. Only for names from a small, slowly growing set.
const std::string* Interned(std::string_view text);

}  // namespace keyward
