// keyward rotate: ask keyward to mint a new key for an ApiKey now, as
// `cmctl renew` does for a Certificate (the rotate-requested-at annotation).
#pragma once

namespace keyward {

// keyward rotate [-n NS] NAME... | NS/NAME...
int RunRotateCommand(int argc, char** argv);

}  // namespace keyward
