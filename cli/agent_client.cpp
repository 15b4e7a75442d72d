#include "cli/agent_client.hpp"

#include <httplib.h>

#include "cli/credentials.hpp"
#include "common/types.hpp"

namespace agora::cli {

Try<AgentAddress> findAgent(const nlohmann::json& masterState, const std::string& agentId) {
  for (const auto& a : masterState.value("agents", nlohmann::json::array())) {
    if (a.value("id", "") != agentId) continue;
    AgentAddress address{a.value("http_host", ""), a.value("http_port", 0), a.value("http_scheme", "") == "https"};
    if (address.host.empty() || address.port == 0)
      return Error("agent " + agentId + " did not say where its HTTP API is (an older agent?)");
    return address;
  }
  return Error("the master knows no agent " + agentId);
}

Try<ApiReply> callAgent(const AgentAddress& agent, const std::string& target) {
  std::string url = agentHttpUrl(agent.host, static_cast<uint16_t>(agent.port), agent.tls);
  httplib::Client client(url);
  authorize(client);
  client.set_connection_timeout(5);
  client.set_read_timeout(10);
  auto res = client.Get(target.c_str());
  if (!res && res.error() == httplib::Error::SSLServerVerification)
    return Error(untrustedCertificate("the agent at " + url));
  if (!res) return Error("no answer from the agent at " + url + ": " + httplib::to_string(res.error()));
  return ApiReply{res->status, res->body};
}

Try<uint64_t> copyTaskFile(const TaskFile& file, uint64_t offset, std::ostream& out) {
  for (;;) {
    auto reply = callAgent(file.agent, "/api/v1/files/read?task_id=" + file.taskId + "&framework_id=" +
                                           file.frameworkId + "&file=" + file.file + "&offset=" +
                                           std::to_string(offset) + "&length=1048576");
    if (reply.isError()) return Error(reply.error());
    if (reply->status != 200) return Error("the agent answered " + std::to_string(reply->status) + ": " + reply->body);
    nlohmann::json chunk = nlohmann::json::parse(reply->body, nullptr, false);
    if (chunk.is_discarded() || !chunk.contains("data")) return Error("the agent answered with no data: " + reply->body);
    uint64_t size = chunk.value("size", uint64_t{0}), next = chunk.value("next_offset", offset);
    if (size < offset) {
      offset = 0;  // rotated: the new file from its start
      continue;
    }
    out << chunk["data"].get<std::string>() << std::flush;
    if (next <= offset || next >= size) return next;
    offset = next;
  }
}

}  // namespace agora::cli
