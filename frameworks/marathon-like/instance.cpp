#include "frameworks/marathon-like/instance.hpp"

#include <cmath>
#include <ctime>

#include "common/ids.hpp"
#include "frameworks/marathon-like/path_id.hpp"

namespace agora::marathon {

using nlohmann::json;

std::string newInstanceId(const std::string& appId) { return safeName(appId) + ".instance-" + newUuid(); }

json instanceToJson(const Instance& i) {
  json j = {{"id", i.id},         {"appId", i.appId},     {"version", i.version},     {"taskId", i.taskId},
            {"agentId", i.agentId}, {"host", i.host},     {"attributes", i.attributes}, {"ports", i.ports},
            {"state", static_cast<int>(i.state)}, {"message", i.message}, {"stagedAt", i.stagedAt},
            {"startedAt", i.startedAt}, {"healthSince", i.healthSince}, {"unreachableSince", i.unreachableSince}, {"inactive", i.inactive},
            {"killing", i.killing}};
  if (i.healthy) j["healthy"] = *i.healthy;
  if (i.ready) j["ready"] = *i.ready;
  return j;
}

Try<Instance> instanceFromJson(const json& j) {
  try {
    Instance i;
    i.id = j.at("id");
    i.appId = j.at("appId");
    i.version = j.at("version");
    i.taskId = j.at("taskId");
    i.agentId = j.at("agentId");
    i.host = j.at("host");
    i.attributes = j.at("attributes").get<Attributes>();
    i.ports = j.at("ports").get<std::vector<uint64_t>>();
    i.state = static_cast<TaskState>(j.at("state").get<int>());
    i.message = j.at("message");
    i.stagedAt = j.at("stagedAt");
    i.startedAt = j.at("startedAt");
    i.unreachableSince = j.at("unreachableSince");
    i.healthSince = j.value("healthSince", 0.0);
    i.inactive = j.at("inactive");
    i.killing = j.at("killing");
    if (j.contains("healthy")) i.healthy = j["healthy"].get<bool>();
    if (j.contains("ready")) i.ready = j["ready"].get<bool>();
    return i;
  } catch (const json::exception& e) {
    return Error(std::string("an instance record does not read: ") + e.what());
  }
}

}  // namespace agora::marathon
