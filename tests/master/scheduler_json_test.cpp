// The HTTP scheduler API's JSON: Mesos v1 calls decoded, errors that name the field.
#include "master/scheduler_json.hpp"

#include <gtest/gtest.h>

#include "common/base64.hpp"

namespace agora::v1 {
namespace {

using nlohmann::json;

std::string errorOf(const json& call) {
  Try<HttpCall> c = decodeCall(call.dump());
  return c.isError() ? c.error() : "";
}

json accept() {
  return json::parse(R"({"type": "ACCEPT", "framework_id": {"value": "fw-1"}, "accept": {
    "offer_ids": [{"value": "o-1"}], "filters": {"refuse_seconds": 7},
    "operations": [{"type": "RESERVE", "reserve": {"resources": [
                      {"name": "cpus", "type": "SCALAR", "scalar": {"value": 1},
                       "reservations": [{"type": "DYNAMIC", "role": "eng"}]}]}},
                   {"type": "LAUNCH", "launch": {"task_infos": [{
                      "name": "web", "task_id": {"value": "t-1"}, "agent_id": {"value": "a-1"},
                      "command": {"value": "./serve", "environment": {"variables": [{"name": "X", "value": "1"}]}},
                      "kill_policy": {"grace_period": {"nanoseconds": 5000000000}},
                      "labels": {"labels": [{"key": "team", "value": "web"}]},
                      "health_check": {"type": "HTTP", "http": {"port": 8080, "path": "/health"}, "interval_seconds": 2},
                      "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.5}},
                                    {"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 31000, "end": 31001}]}}]}]}}]}})");
}

TEST(SchedulerJsonTest, DecodesAMesosAcceptIntoTheSameCallAsTheWire) {
  Try<HttpCall> c = decodeCall(accept().dump());
  ASSERT_FALSE(c.isError()) << c.error();
  EXPECT_EQ(c->frameworkId, "fw-1");
  const auto& a = std::get<calls::Accept>(*c->call);
  EXPECT_EQ(a.offerIds, std::vector<std::string>{"o-1"});
  EXPECT_EQ(a.refuseSeconds, 7);
  ASSERT_EQ(a.steps.size(), 2u);
  EXPECT_EQ((*a.steps[0].reserve)->toString(), "cpus(eng):1");
  const TaskInfo& t = a.steps[1].launch.at(0).get();
  EXPECT_EQ(t.taskId, "t-1");
  EXPECT_EQ(t.agentId, "a-1");
  EXPECT_EQ(t.command.environment.at("X"), "1");
  EXPECT_EQ(t.killGracePeriodSeconds, 5);
  EXPECT_EQ(t.labels.at("team"), "web");
  ASSERT_TRUE(t.healthCheck);
  EXPECT_EQ(t.healthCheck->port.number, 8080u);
  EXPECT_EQ(t.resources.ranges("ports").size(), 1u);
}

TEST(SchedulerJsonTest, NamesTheFieldAtFault) {
  json call = accept();
  call["accept"]["operations"][1]["launch"]["task_infos"][0]["resources"][0]["scalar"]["value"] = "lots";
  EXPECT_EQ(errorOf(call), "accept.operations[1].launch.task_infos[0].resources[0].scalar.value: expected a number");
  call = accept();
  call["accept"]["operations"][1]["launch"]["task_infos"][0]["resources"][0]["scalar"]["value"] = -1;
  EXPECT_NE(errorOf(call).find("accept.operations[1].launch.task_infos[0].resources: "), std::string::npos) << errorOf(call);
  call = accept();
  call["accept"]["operations"][0]["type"] = "LAUNCH_GROUP";
  EXPECT_NE(errorOf(call).find("accept.operations[0].type: 'LAUNCH_GROUP' is not supported"), std::string::npos);
  call = accept();
  call.erase("framework_id");
  EXPECT_EQ(errorOf(call), "framework_id: missing");
  EXPECT_EQ(errorOf(json{{"type", 3}}), "type: expected a string");
  EXPECT_NE(errorOf(json{{"type", "MESSAGE"}, {"framework_id", {{"value", "f"}}}}).find("not a call of this API"), std::string::npos);
  EXPECT_EQ(errorOf(json::array()), ": expected a JSON object (a Call)");
  Try<HttpCall> notJson = decodeCall("{\"type\":");
  ASSERT_TRUE(notJson.isError());
}

TEST(SchedulerJsonTest, AcknowledgementsCarryTheUuidAsBase64) {
  TaskStatus s;
  s.taskId = "t";
  s.agentId = "a";
  s.uuid = "update-42";
  s.state = TaskState::RUNNING;
  json update = updateEvent(s)["update"]["status"];
  EXPECT_EQ(update["state"], "TASK_RUNNING");
  s.reason = TaskReason::MEMORY_LIMIT;
  s.exitCode = 137;
  json limited = updateEvent(s)["update"]["status"];
  EXPECT_EQ(limited["reason"], "REASON_CONTAINER_LIMITATION_MEMORY") << "Mesos' name";
  EXPECT_FALSE(limited.contains("exit_code")) << "no field Mesos lacks";
  s.reason = TaskReason::COMMAND_EXITED;
  EXPECT_FALSE(updateEvent(s)["update"]["status"].contains("reason")) << "Mesos has no name for it";
  json ack = {{"type", "ACKNOWLEDGE"}, {"framework_id", {{"value", "f"}}},
              {"acknowledge", {{"agent_id", update["agent_id"]}, {"task_id", update["task_id"]}, {"uuid", update["uuid"]}}}};
  Try<HttpCall> c = decodeCall(ack.dump());
  ASSERT_FALSE(c.isError()) << c.error();
  EXPECT_EQ(std::get<calls::Acknowledge>(*c->call).uuid, "update-42");
  ack["acknowledge"]["uuid"] = "***";
  EXPECT_NE(errorOf(ack).find("acknowledge.uuid: not base64"), std::string::npos) << errorOf(ack);
}

TEST(SchedulerJsonTest, SubscribeTakesMesosFrameworkInfo) {
  Try<HttpCall> c = decodeCall(R"({"type": "SUBSCRIBE", "subscribe": {"framework_info": {
      "user": "root", "name": "x", "role": "eng", "failover_timeout": 30, "webui_url": "http://x:1/",
      "capabilities": [{"type": "MULTI_ROLE"}], "id": {"value": "fw-9"}}}})");
  ASSERT_FALSE(c.isError()) << c.error();
  EXPECT_EQ(c->subscribe.id, "fw-9");
  EXPECT_EQ(c->subscribe.roles, std::vector<std::string>{"eng"});
  EXPECT_EQ(c->subscribe.failoverTimeoutSeconds, 30);
  EXPECT_EQ(c->subscribe.webuiUrl, "http://x:1/");
  EXPECT_EQ(record(json{{"a", 1}}), "7\n{\"a\":1}");
}

}  // namespace
}  // namespace agora::v1
