// keyward scan [PATH...|-]: finds keyward keys in files, folders and stdin,
// for a pre-commit hook or a CI step. Prints where and the hint, never a key.
#pragma once

namespace keyward {

// argv starts after "scan". 0 no key found, 1 keys found, 2 bad usage or a
// path that could not be read.
int RunScanCommand(int argc, char** argv);

}  // namespace keyward
