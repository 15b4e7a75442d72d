#include "cli/agent_client.hpp"

#include <httplib.h>

namespace agora::cli {

Try<AgentAddress> findAgent(const nlohmann::json& masterState, const std::string& agentId) {
  for (const auto& a : masterState.value("agents", nlohmann::json::array())) {
    if (a.value("id", "") != agentId) continue;
    AgentAddress address{a.value("http_host", ""), a.value("http_port", 0)};
    if (address.host.empty() || address.port == 0)
      return Error("agent " + agentId + " did not say where its HTTP API is (an older agent?)");
    return address;
  }
  return Error("the master knows no agent " + agentId);
}

Try<ApiReply> callAgent(const AgentAddress& agent, const std::string& target) {
  httplib::Client client(agent.host, agent.port);
  client.set_connection_timeout(5);
  client.set_read_timeout(10);
  auto res = client.Get(target.c_str());
  if (!res)
    return Error("no answer from the agent at " + agent.host + ":" + std::to_string(agent.port) + ": " +
                 httplib::to_string(res.error()));
  return ApiReply{res->status, res->body};
}

}  // namespace agora::cli
