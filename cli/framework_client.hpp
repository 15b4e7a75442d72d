#pragma once
// Calls a framework's REST API (agora-marathon's /v2, agora-batch's /v1) over HTTP.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/http_server.hpp"
#include "common/try.hpp"

namespace agora::cli {

// `address` is host:port (an http:// prefix is allowed), or several, comma-separated: the
// instances of a framework running with standbys, tried in turn; a standby's redirect to the
// leader is followed. The answer, whatever its status; an error only if nothing answered,
// naming `who` and how to point elsewhere (`hint`).
Try<ApiReply> callFramework(const std::string& address, const std::string& who, const std::string& hint,
                            const std::string& method, const std::string& target, const std::string& body);

// The parsed body of a 2xx answer (a body that is not JSON as a string), or nothing after
// printing why not: "agora WHAT: HTTP 404: ...".
std::optional<nlohmann::json> jsonAnswer(const std::string& what, const Try<ApiReply>& reply);

// A whole file, or nothing if it cannot be read.
std::optional<std::string> readFile(const std::string& path);

}  // namespace agora::cli
