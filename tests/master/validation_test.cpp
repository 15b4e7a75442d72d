#include "master/validation.hpp"

#include <gtest/gtest.h>

namespace agora {
namespace {

TaskInfo task(const std::string& id, const std::string& resources, const std::string& command = "true") {
  TaskInfo t;
  t.taskId = id;
  t.command.value = command;
  t.resources = *Resources::parse(resources);
  return t;
}

LaunchContext context() {
  LaunchContext c;
  c.agentId = "agent-1";
  c.isTaskIdInUse = [](const std::string& id) { return id == "running"; };
  c.remaining = *Resources::parse("cpus:2;mem:256;ports:[31000-31010]");
  return c;
}

void expectError(const TaskInfo& t, const std::string& fragment) {
  Status s = validateTask(t, context());
  ASSERT_FALSE(s.ok()) << t.taskId;
  EXPECT_NE(s.error().find(fragment), std::string::npos) << s.error();
}

TEST(ValidationTest, AcceptsATaskThatFits) {
  EXPECT_TRUE(validateTask(task("ok", "cpus:1;mem:128;ports:[31000-31001]"), context()).ok());
  EXPECT_TRUE(validateTask(task("ok2", "cpus:2;mem:256"), context()).ok());
}

TEST(ValidationTest, RejectsTasksWithPreciseMessages) {
  expectError(task("", "cpus:1"), "task id '' is invalid");
  expectError(task("has space", "cpus:1"), "is invalid");
  expectError(task("running", "cpus:1"), "already used");
  expectError(task("big", "cpus:3;mem:1"), "asks for cpus:3;mem:1 but the offers have only cpus:2;mem:256");
  expectError(task("ports", "cpus:1;ports:[30000-30000]"), "asks for");
  expectError(task("none", ""), "asks for no resources");
  expectError(task("disk", "disk:10"), "neither cpus nor mem");
  expectError(task("nocmd", "cpus:1", ""), "has no command");
  TaskInfo other = task("other", "cpus:1");
  other.agentId = "agent-2";
  expectError(other, "names agent 'agent-2'");
  TaskInfo grace = task("grace", "cpus:1");
  grace.killGracePeriodSeconds = -1;
  expectError(grace, "grace period");
  TaskInfo env = task("env", "cpus:1");
  env.command.environment["A=B"] = "x";
  expectError(env, "environment variable");
  expectError(task("bytes", "cpus:1", "echo \xff\xfe"), "must be UTF-8 text");
  TaskInfo envBytes = task("env-bytes", "cpus:1");
  envBytes.command.environment["A"] = "caf\xc3";  // a cut-off two-byte sequence
  expectError(envBytes, "must be UTF-8 text");
  EXPECT_TRUE(validateTask(task("utf8", "cpus:1", "echo caf\xc3\xa9 \xe2\x82\xac"), context()).ok());
}

TEST(ValidationTest, ChecksNameTheirPortsAndTimesPrecisely) {
  TaskInfo base = task("checked", "cpus:1;ports:[31000-31001]");
  base.ports = {{31000, "http"}, {31001, ""}};
  auto health = [&](auto change) {
    TaskInfo t = base;
    t.healthCheck = HealthCheck{};
    t.healthCheck->port.index = 0;
    change(*t.healthCheck);
    return t;
  };
  EXPECT_TRUE(validateTask(health([](HealthCheck&) {}), context()).ok());
  EXPECT_TRUE(validateTask(health([](HealthCheck& h) { h.port = {-1, "http", 0}; }), context()).ok());
  EXPECT_TRUE(validateTask(health([](HealthCheck& h) { h.port = {-1, "", 8080}; }), context()).ok());
  expectError(health([](HealthCheck& h) { h.port.index = 2; }), "port index 2 is out of range: the task has 2 ports");
  expectError(health([](HealthCheck& h) { h.port = {-1, "admin", 0}; }), "no port named 'admin'");
  expectError(health([](HealthCheck& h) { h.port = {}; }), "exactly one of an index, a name or a number");
  expectError(health([](HealthCheck& h) { h.port = {0, "http", 0}; }), "exactly one of");
  expectError(health([](HealthCheck& h) { h.port = {-1, "", 70000}; }), "not a TCP port");
  expectError(health([](HealthCheck& h) { h.path = "health"; }), "must start with '/'");
  expectError(health([](HealthCheck& h) { h.intervalSeconds = 0; }), "interval and timeout must be positive");
  expectError(health([](HealthCheck& h) { h.timeoutSeconds = -1; }), "interval and timeout must be positive");
  expectError(health([](HealthCheck& h) { h.gracePeriodSeconds = -1; }), "delay and grace period");
  expectError(health([](HealthCheck& h) { h.kind = static_cast<CheckKind>(7); }), "type 7 is unknown");
  expectError(health([](HealthCheck& h) { h.kind = CheckKind::COMMAND; }), "health check: has no command");
  // A command check needs no port; a TCP check needs no path.
  EXPECT_TRUE(validateTask(health([](HealthCheck& h) {
                h.kind = CheckKind::COMMAND;
                h.command.value = "true";
                h.port = {};
              }),
                           context())
                  .ok());
  EXPECT_TRUE(validateTask(health([](HealthCheck& h) {
                h.kind = CheckKind::TCP;
                h.path = "";
              }),
                           context())
                  .ok());
  // Without a list of its own, the task's ports are its ports resources ascending.
  TaskInfo implicit = task("implicit", "cpus:1;ports:[31000-31001]");
  implicit.healthCheck = HealthCheck{};
  implicit.healthCheck->port.index = 1;
  EXPECT_TRUE(validateTask(implicit, context()).ok());
  implicit.healthCheck->port.index = 2;
  expectError(implicit, "the task has 2 ports");

  TaskInfo ready = base;
  ready.readinessCheck = ReadinessCheck{};
  ready.readinessCheck->port.name = "http";
  EXPECT_TRUE(validateTask(ready, context()).ok());
  ready.readinessCheck->readyStatusCodes = {200, 42};
  expectError(ready, "status code 42 is not an HTTP status");
  ready.readinessCheck->readyStatusCodes = {};
  ready.readinessCheck->port.name = "nope";
  expectError(ready, "readiness check: the task has no port named 'nope'");
}

TEST(ValidationTest, ReserveAndUnreserveNameWhatIsWrong) {
  Resources remaining = *Resources::parse("cpus:2;mem:256;cpus(eng):1");
  EXPECT_TRUE(validateReserve(*Resources::parse("cpus(eng):2"), {"eng"}, remaining).ok());
  auto expect = [](const Status& s, const std::string& fragment) {
    ASSERT_FALSE(s.ok()) << "expected an error with '" << fragment << "'";
    EXPECT_NE(s.error().find(fragment), std::string::npos) << s.error();
  };
  expect(validateReserve(*Resources::parse("cpus:1"), {"eng"}, remaining), "names no role");
  expect(validateReserve(*Resources::parse("cpus(ops):1"), {"eng"}, remaining), "not one of the framework's roles");
  expect(validateReserve(*Resources::parse("cpus(eng):3"), {"eng"}, remaining), "unreserved");
  expect(validateReserve(Resources(), {"eng"}, remaining), "names no resources");
  Resources dynamic = *Resources::parse("cpus(eng):1");
  EXPECT_TRUE(validateUnreserve(*Resources::parse("cpus(eng):1"), dynamic, remaining).ok());
  expect(validateUnreserve(*Resources::parse("cpus(eng):2"), dynamic, remaining), "not (all) dynamically reserved");
  expect(validateUnreserve(*Resources::parse("cpus(eng):1"), dynamic, *Resources::parse("cpus:2")), "offers hold only");
}

TEST(ValidationTest, OfferIdsMustBeOutstandingOwnedAndOnOneAgent) {
  std::map<std::string, Offer> offers = {
      {"o1", Offer{"o1", "fw", "a1", "h", {}, {}}},
      {"o2", Offer{"o2", "fw", "a2", "h", {}, {}}},
      {"o3", Offer{"o3", "other", "a1", "h", {}, {}}},
      {"o4", Offer{"o4", "fw", "a1", "h", {}, {}}},
  };
  auto lookup = [&](const std::string& id) -> const Offer* {
    auto it = offers.find(id);
    return it == offers.end() ? nullptr : &it->second;
  };
  EXPECT_TRUE(validateOfferIds({"o1", "o4"}, "fw", lookup).ok());
  EXPECT_NE(validateOfferIds({}, "fw", lookup).error().find("names no offers"), std::string::npos);
  EXPECT_NE(validateOfferIds({"o9"}, "fw", lookup).error().find("not outstanding"), std::string::npos);
  EXPECT_NE(validateOfferIds({"o3"}, "fw", lookup).error().find("another framework"), std::string::npos);
  EXPECT_NE(validateOfferIds({"o1", "o2"}, "fw", lookup).error().find("different agents"), std::string::npos);
  EXPECT_NE(validateOfferIds({"o1", "o1"}, "fw", lookup).error().find("twice"), std::string::npos);
}

}  // namespace
}  // namespace agora
