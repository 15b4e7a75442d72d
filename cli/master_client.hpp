#pragma once
// Calls the master's operator API over its one ZeroMQ address (proto::ApiRequest), so that a
// client needs to know nothing but --master.

#include <string>

#include "common/clock.hpp"
#include "common/http_server.hpp"
#include "common/try.hpp"

namespace agora::cli {

Try<ApiReply> callMaster(const std::string& master, const std::string& method, const std::string& path,
                         const std::string& body = "", Duration timeout = std::chrono::seconds(5));

}  // namespace agora::cli
