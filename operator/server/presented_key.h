// How a client presents a key: "Authorization: Bearer <key>", or Basic with
// "<namespace>/<name>" as the user and the key as the password.
#pragma once
#include <optional>
#include <string>

#include "keys/key_index.h"
#include "server/http_message.h"

namespace keyward {

struct PresentedKey {
  std::string key;                  // empty: no key in the headers
  std::optional<ApiKeyRef> claimed; // Basic: the ApiKey the user names
  std::string error;                // an Authorization header that cannot be read
};

// Reads the Authorization header. Never copies the key into |error|.
PresentedKey KeyFromHeaders(const HttpRequest& request);

}  // namespace keyward
