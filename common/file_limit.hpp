#pragma once
// The open-file limit. Every ZeroMQ connection is a descriptor, so a master facing ten
// thousand agents needs more than the usual soft limit of 1,024.

#include <cstdint>

namespace agora {

// Raises the soft limit on open files to `wanted`, lifting the hard limit too if it is
// lower and the process may (CAP_SYS_RESOURCE). Returns the soft limit now in force.
uint64_t raiseOpenFileLimit(uint64_t wanted);

}  // namespace agora
