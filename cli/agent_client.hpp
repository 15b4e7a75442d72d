#pragma once
// Calls an agent's HTTP API (sandbox files, containers), at the address the agent gave the
// master when it registered.

#include <string>

#include <nlohmann/json.hpp>

#include "common/http_server.hpp"
#include "common/try.hpp"

namespace agora::cli {

struct AgentAddress {
  std::string host;
  int port = 0;
};

// Where agent `agentId` answers, from the master's state.
Try<AgentAddress> findAgent(const nlohmann::json& masterState, const std::string& agentId);

// GET `target` (path and query) on the agent.
Try<ApiReply> callAgent(const AgentAddress& agent, const std::string& target);

}  // namespace agora::cli
