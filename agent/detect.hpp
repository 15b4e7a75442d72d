#pragma once
// What this machine has to offer: cores, memory, disk under the work dir, a port range and
// the hostname. Flags override any of it.

#include <string>

#include "common/resources.hpp"

namespace agora {

// Detected resources with `overrides` (text form) replacing whole entries by name.
Try<Resources> detectResources(const std::string& workDir, const std::string& overrides);

std::string detectHostname();

}  // namespace agora
