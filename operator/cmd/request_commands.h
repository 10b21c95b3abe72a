// keyward approve | deny | requests: ApiKeyRequests from the command line,
// as `kubectl certificate approve` and `cmctl approve` do it.
#pragma once

namespace keyward {

// keyward approve [-n NS] NAME... [--reason TEXT]
int RunApproveCommand(int argc, char** argv);
// keyward deny [-n NS] NAME... [--reason TEXT]
int RunDenyCommand(int argc, char** argv);
// keyward requests [-n NS | -A] [-o json]: pending first.
int RunRequestsCommand(int argc, char** argv);

}  // namespace keyward
