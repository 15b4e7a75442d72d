#pragma once
// Calls an agent's HTTP API (sandbox files, containers), at the address the agent gave the
// master when it registered.

#include <cstdint>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "common/http_server.hpp"
#include "common/try.hpp"

namespace agora::cli {

struct AgentAddress {
  std::string host;
  int port = 0;
  bool tls = false;  // it serves HTTPS
};

// Where agent `agentId` answers, from the master's state.
Try<AgentAddress> findAgent(const nlohmann::json& masterState, const std::string& agentId);

// GET `target` (path and query) on the agent.
Try<ApiReply> callAgent(const AgentAddress& agent, const std::string& target);

// Where a task's sandbox file is read.
struct TaskFile {
  AgentAddress agent;
  std::string frameworkId;
  std::string taskId;
  std::string file;  // "stdout" or "stderr"
};

// Writes what the file holds from `offset` up to its end to `out`, through the agent's API
// (so the sandbox may be on another machine); returns the offset after it. A file that was
// rotated (now shorter than `offset`) is read from its start.
Try<uint64_t> copyTaskFile(const TaskFile& file, uint64_t offset, std::ostream& out);

}  // namespace agora::cli
