#pragma once
#include <string>

namespace agora {

// A random 128-bit id as 32 hex digits; unique enough for offers, agents, frameworks
// and status update uuids without coordination.
std::string newUuid();

// "<prefix>-<uuid>" so that ids say what they name in logs.
std::string newId(const std::string& prefix);

// Task and framework ids become directory names and log keys: letters, digits, '.', '_', '-'.
bool isValidId(const std::string& id);

}  // namespace agora
