// `keyward check`: asks "may this key do X on Y?" from the command line, with
// the operator's own decision code, against the cluster's ApiKeys. Reads
// the key from stdin so it never shows in `ps` or shell history.
#pragma once

namespace keyward {

int RunCheckCommand(int argc, char** argv);

}  // namespace keyward
