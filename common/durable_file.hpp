#pragma once
// Files that must survive a crash the moment the call returns: written to a temporary file,
// synced, then renamed over the target, so a reader sees the old content or the new, never a
// torn one.

#include <string>

#include "common/try.hpp"

namespace agora {

Status writeFileDurably(const std::string& path, const std::string& content);

}  // namespace agora
