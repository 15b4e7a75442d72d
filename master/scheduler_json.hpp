#pragma once
// The HTTP scheduler API's JSON, shaped like Mesos' v1 scheduler API (mesos/v1/scheduler/
// scheduler.proto in its JSON mapping): calls decoded into the same calls::Call the ZeroMQ
// protocol decodes into, and events encoded as RecordIO records ("<bytes>\n<json>"). Where
// Agora has no counterpart of a Mesos field, the field is ignored on the way in and absent on
// the way out; docs/api.md lists each difference.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/try.hpp"
#include "common/types.hpp"
#include "master/scheduler_calls.hpp"

namespace agora::v1 {

struct HttpCall {
  std::string type;          // SUBSCRIBE, ACCEPT, DECLINE, KILL, ...
  std::string frameworkId;   // framework_id.value; empty for a first SUBSCRIBE
  FrameworkInfo subscribe;   // SUBSCRIBE's framework_info
  std::optional<calls::Call> call;  // every other type
};

// The call in `body`, or an error that names the field at fault
// ("accept.operations[0].launch.task_infos[1].task_id.value: missing").
Try<HttpCall> decodeCall(const std::string& body);

// One event as a RecordIO record.
std::string record(const nlohmann::json& event);

nlohmann::json subscribedEvent(const std::string& frameworkId, const std::string& masterId, double heartbeatSeconds);
nlohmann::json offersEvent(const std::vector<Offer>& offers);
nlohmann::json rescindEvent(const std::string& offerId);
nlohmann::json updateEvent(const TaskStatus& status);
nlohmann::json errorEvent(const std::string& message);
nlohmann::json failureEvent(const std::string& agentId);
nlohmann::json heartbeatEvent();

nlohmann::json resourcesJson(const Resources& resources);

}  // namespace agora::v1
