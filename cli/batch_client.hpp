#pragma once
// Calls agora-batch's REST API (/v1/jobs, ...) for `agora job`.

#include <string>

#include "common/http_server.hpp"
#include "common/try.hpp"

namespace agora::cli {

// --batch, else $AGORA_BATCH, else 127.0.0.1:9000 (where `agora dev` starts it).
std::string batchAddress();

// The answer, whatever its status; an error only if nothing answered.
Try<ApiReply> callBatch(const std::string& method, const std::string& target, const std::string& body = "");

}  // namespace agora::cli
