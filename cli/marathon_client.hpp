#pragma once
// Calls agora-marathon's REST API (/v2/...) for `agora app`, `agora deployment` and
// `agora queue`.

#include <string>

#include "common/http_server.hpp"
#include "common/try.hpp"

namespace agora::cli {

// --marathon, else $AGORA_MARATHON, else 127.0.0.1:8080 (where `agora dev` starts it).
std::string marathonAddress();

// The answer, whatever its status; an error only if nothing answered.
Try<ApiReply> callMarathon(const std::string& method, const std::string& target, const std::string& body = "");

}  // namespace agora::cli
