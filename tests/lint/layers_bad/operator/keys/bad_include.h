// A fixture for scripts/check-layers: keys/ may not include kube/.
#pragma once
#include "kube/kube_client.h"
