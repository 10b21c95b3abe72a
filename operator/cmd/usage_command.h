// keyward usage: the issued keys with their requests and cost in a period,
// summed from each ApiKey's status.usage (no external system).
#pragma once

namespace keyward {

// keyward usage [-n NS | -A] [--from DATE] [--to DATE] [-o table|json|csv]
int RunUsageCommand(int argc, char** argv);

}  // namespace keyward
