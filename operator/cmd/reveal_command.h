// keyward reveal NS/NAME: a volatile key, once, from the replica that holds
// it, asked with the user's own Kubernetes token (GET /v1/reveal).
#pragma once

namespace keyward {

// argv starts after "reveal". 0 revealed, 1 refused (revealed already, not
// allowed, not found), 2 bad usage or keyward unreachable.
int RunRevealCommand(int argc, char** argv);

}  // namespace keyward
