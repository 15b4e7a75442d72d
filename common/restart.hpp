#pragma once
// A daemon that stopped leading starts afresh as a standby: its state may be behind what the
// next leader did, and a new process image is the one sure way to drop all of it.

#include <string>
#include <vector>

namespace agora {

// Replaces this process with a new run of the same binary and `args` (argv as given to main).
[[noreturn]] void restartSelf(const std::vector<std::string>& args);

}  // namespace agora
