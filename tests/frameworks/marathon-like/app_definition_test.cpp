// Reading and validating Marathon app definitions: every field's error path and message.
#include <limits>

#include <gtest/gtest.h>

#include "common/json_fields.hpp"
#include "frameworks/marathon-like/app_json.hpp"
#include "frameworks/marathon-like/app_validation.hpp"
#include "frameworks/marathon-like/path_id.hpp"

namespace agora::marathon {
namespace {

using nlohmann::json;

// The violations of `text` read in the root group for a framework in role "*".
Violations check(const std::string& text, AppDefinition* out = nullptr) {
  Violations v;
  AppDefinition app = appFromJson(json::parse(text), "/", v);
  if (v.empty()) validateApp(app, "*", v);
  if (out) *out = app;
  return v;
}

// "path: error" of the first violation, or "" if none.
std::string first(const std::string& text) {
  Violations v = check(text);
  return v.empty() ? "" : v[0].path + ": " + v[0].error;
}

TEST(PathIdTest, ResolvesRelativeIdsAgainstTheirGroup) {
  EXPECT_EQ(*resolvePath("mongo", "/prod/db"), "/prod/db/mongo");
  EXPECT_EQ(*resolvePath("../web", "/prod/db"), "/prod/web");
  EXPECT_EQ(*resolvePath("/a/./b/"), "/a/b");
  EXPECT_TRUE(resolvePath("../../..", "/a").isError());
  EXPECT_EQ(resolvePath("/Foo").error(), kSegmentRule);
  EXPECT_EQ(safeName("/prod/db/mongo"), "prod_db_mongo");
  EXPECT_EQ(parentOf("/prod/db"), "/prod");
  EXPECT_TRUE(isUnder("/prod/db", "/prod"));
  EXPECT_FALSE(isUnder("/production", "/prod"));
}

TEST(PathIdTest, SegmentsFollowMarathonsRule) {
  for (const char* good : {"/a", "/a-b/c.d", "/a1.b-2.c", "/0"}) EXPECT_TRUE(resolvePath(good).ok()) << good;
  for (const char* bad : {"/-a", "/a-", "/a..b", "/.a", "/a.", "/a_b", "/a.-b", "/A"})
    EXPECT_EQ(resolvePath(bad).error(), kSegmentRule) << bad;
}

// Found beside a fuzz finding: std::regex matched ids, port names and constraint numbers recursively, and
// one long enough (300 KB) overflowed the stack and killed agora-marathon.
TEST(AppDefinitionTest, LongValuesAreCheckedWithoutOverflowingTheStack) {
  std::string longName(300000, 'a');
  EXPECT_EQ(first(R"({"id": ")" + longName + R"(", "cmd": "x"})"), "");
  EXPECT_EQ(first(R"({"id": ")" + longName + R"(-", "cmd": "x"})"), std::string("/id: ") + kSegmentRule);
  EXPECT_EQ(first(R"({"id": "web", "cmd": "x", "portDefinitions": [{"name": ")" + longName + R"("}]})"), "");
  EXPECT_EQ(first(R"({"id": "web", "cmd": "x", "portDefinitions": [{"name": ")" + longName + R"(_"}]})"),
            "/portDefinitions(0)/name: error.pattern");
  EXPECT_EQ(first(R"({"id": "web", "cmd": "x", "constraints": [["rack", "MAX_PER", ")" + std::string(300000, '7') + R"("]]})")
                .rfind("/constraints(0): MAX_PER takes a positive number", 0),
            0u)
      << "too large for a number";
  EXPECT_EQ(first(R"({"id": "web", "cmd": "x", "constraints": [["rack", "IS", ")" + longName + R"("]]})"), "");
}

TEST(AppDefinitionTest, DefaultsAreMarathons) {
  AppDefinition app;
  ASSERT_TRUE(check(R"({"id": "web", "cmd": "serve"})", &app).empty());
  EXPECT_EQ(app.id, "/web");
  EXPECT_EQ(app.instances, 1u);
  EXPECT_EQ(app.cpus, 1);
  EXPECT_EQ(app.mem, 128);
  EXPECT_EQ(app.disk, 0);
  EXPECT_EQ(app.backoffSeconds, 1);
  EXPECT_EQ(app.backoffFactor, 1.15);
  EXPECT_EQ(app.maxLaunchDelaySeconds, 300);
  EXPECT_EQ(app.upgradeStrategy.minimumHealthCapacity, 1);
  EXPECT_EQ(app.upgradeStrategy.maximumOverCapacity, 1);
  ASSERT_EQ(app.portDefinitions.size(), 1u);
  EXPECT_EQ(app.portDefinitions[0].port, 0u);
  EXPECT_EQ(app.portDefinitions[0].name, "default");
  EXPECT_EQ(app.killSelection, KillSelection::kYoungestFirst);
  json out = appToJson(app);
  EXPECT_EQ(out["unreachableStrategy"], json({{"inactiveAfterSeconds", 0}, {"expungeAfterSeconds", 0}}));
  EXPECT_FALSE(out.contains("constraints")) << "empty lists are left out, as Marathon writes them";
}

TEST(AppDefinitionTest, ReadsEveryFieldAndWritesItBack) {
  const char* text = R"({
    "id": "/prod/web", "args": ["python3", "-m", "http.server"], "instances": 3, "cpus": 0.5, "mem": 256,
    "disk": 10, "gpus": 0, "user": "nobody", "env": {"A": "1"}, "labels": {"team": "x"},
    "portDefinitions": [{"port": 0, "name": "http", "protocol": "tcp", "labels": {"vip": "a"}}],
    "requirePorts": false, "constraints": [["hostname", "unique"], ["rack", "GROUP_BY", "2"]],
    "acceptedResourceRoles": ["*"],
    "healthChecks": [{"protocol": "MESOS_HTTP", "path": "/health", "portIndex": 0, "gracePeriodSeconds": 5,
                      "intervalSeconds": 2, "timeoutSeconds": 1, "maxConsecutiveFailures": 2, "delaySeconds": 1}],
    "readinessChecks": [{"name": "ready", "protocol": "HTTP", "path": "/ready", "portName": "http",
                         "intervalSeconds": 5, "timeoutSeconds": 2, "httpStatusCodesForReady": [200, 204]}],
    "upgradeStrategy": {"minimumHealthCapacity": 0.5, "maximumOverCapacity": 0.2},
    "backoffSeconds": 2, "backoffFactor": 2, "maxLaunchDelaySeconds": 60, "killSelection": "OLDEST_FIRST",
    "unreachableStrategy": {"inactiveAfterSeconds": 30, "expungeAfterSeconds": 60},
    "taskKillGracePeriodSeconds": 4, "dependencies": ["../db"], "fetch": [], "container": null})";
  AppDefinition app;
  Violations v = check(text, &app);
  ASSERT_TRUE(v.empty()) << violationsBody(v).dump();
  EXPECT_EQ(app.dependencies, std::vector<std::string>{"/db"});
  EXPECT_EQ(app.constraints[0][1], "UNIQUE") << "operators are case-insensitive";
  EXPECT_EQ(app.healthChecks[0].path, "/health");
  EXPECT_EQ(app.readinessChecks[0].httpStatusCodesForReady, (std::vector<uint16_t>{200, 204}));
  EXPECT_EQ(app.killSelection, KillSelection::kOldestFirst);
  EXPECT_EQ(*app.taskKillGracePeriodSeconds, 4);
  // What a GET shows can be PUT back unchanged.
  Violations again;
  AppDefinition round = appFromJson(appToJson(app), "/", again);
  ASSERT_TRUE(again.empty()) << violationsBody(again).dump();
  EXPECT_FALSE(configDiffers(app, round));
}

TEST(AppDefinitionTest, ADamagedStoredAppIsAnErrorNotAThrow) {
  EXPECT_FALSE(storedAppFromJson(json::array()).ok());
  EXPECT_FALSE(storedAppFromJson(json("app")).ok());
  Try<AppDefinition> wrongType = storedAppFromJson(json::parse(R"({"id": 5, "cmd": "x"})"));
  ASSERT_FALSE(wrongType.ok());
  EXPECT_NE(wrongType.error().find("/id"), std::string::npos) << wrongType.error();
  Try<AppDefinition> oddVersion = storedAppFromJson(json::parse(R"({"id": "/a", "cmd": "x", "version": 5, "versionInfo": 1})"));
  ASSERT_TRUE(oddVersion.ok()) << oddVersion.error();
  EXPECT_EQ(oddVersion->version, "");
}

TEST(AppDefinitionTest, TypeErrorsAreInvalidJson) {
  Violations v = check(R"({"id": "web", "cmd": "x", "instances": "three", "env": {"A": 1}})");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].path, "/instances");
  EXPECT_EQ(v[0].error, "error.expected.jsnumber");
  EXPECT_EQ(v[1].path, "/env/A");
  json body = violationsBody(v);
  EXPECT_EQ(body["message"], "Invalid JSON");
  EXPECT_EQ(body["details"][0], json({{"path", "/instances"}, {"errors", {"error.expected.jsnumber"}}}));
  EXPECT_EQ(first(R"({"cmd": "x"})"), "/id: error.path.missing");
  EXPECT_EQ(first(R"({"id": "web", "cmd": "x", "instances": 1.5})"), "/instances: error.expected.int");
  EXPECT_EQ(first(R"({"id": "web", "cmd": "x", "killSelection": "RANDOM"})"), "/killSelection: error.unknown.enum.literal");
}

TEST(AppDefinitionTest, SemanticErrorsHaveMarathonsPathsAndMessages) {
  EXPECT_EQ(first(R"({"id": "web"})"), "/: AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'.");
  EXPECT_EQ(first(R"({"id": "web", "cmd": "x", "args": ["y"]})"),
            "/: AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'.");
  EXPECT_EQ(first(R"({"id": "web", "cmd": "x", "instances": -1})"), "/instances: got -1, expected 0 or more");
  EXPECT_EQ(first(R"({"id": "web", "cmd": "x", "cpus": -1})"), "/cpus: got -1.0, expected 0.0 or more");
  EXPECT_EQ(first(R"({"id": "web", "cmd": "x", "mem": 1e13})"), "/mem: got 10000000000000.0, expected at most 1000000000000.0");
  EXPECT_EQ(first(R"({"id": "web", "cmd": "x", "gpus": -1})"), "/gpus: got -1, expected 0 or more");
  EXPECT_EQ(first(R"({"id": "Web", "cmd": "x"})"), std::string("/id: ") + kSegmentRule);
  EXPECT_EQ(first(R"({"id": "/a/tasks", "cmd": "x"})"),
            "/id: must not end with any of the following reserved keywords: restart, tasks, versions, ., ..");
  EXPECT_EQ(first(R"({"id": "web", "cmd": "x", "upgradeStrategy": {"minimumHealthCapacity": 1.2, "maximumOverCapacity": 0}})"),
            "/upgradeStrategy/minimumHealthCapacity: got 1.2, expected between 0.0 and 1.0");
  EXPECT_EQ(first(R"({"id": "web", "cmd": "x", "backoffFactor": 0.5})"), "/backoffFactor: got 0.5, expected 1.0 or more");
  EXPECT_EQ(first(R"({"id": "web", "cmd": "x", "portDefinitions": [{"name": "a"}, {"name": "a"}]})"),
            "/portDefinitions: Port names must be unique.");
  EXPECT_EQ(first(R"({"id": "web", "cmd": "x", "portDefinitions": [{"port": 80}, {"port": 80}]})"),
            "/portDefinitions: Ports must be unique.");
  EXPECT_EQ(first(R"({"id": "web", "cmd": "x", "ports": [1], "portDefinitions": []})"),
            "/ports: You cannot specify both ports and port definitions");
  EXPECT_EQ(first(R"({"id": "web", "cmd": "x", "healthChecks": [{"protocol": "HTTP", "portIndex": 3}]})"),
            "/healthChecks(0): Health check port indices must address an element of the ports array or container port mappings.");
  EXPECT_EQ(first(R"({"id": "web", "cmd": "x", "healthChecks": [{"protocol": "HTTPS"}]})"),
            "/healthChecks(0)/protocol: HTTPS health checks are not supported by Agora yet; use MESOS_HTTP or MESOS_TCP");
  EXPECT_EQ(first(R"({"id": "web", "cmd": "x", "readinessChecks": [{"portName": "nope"}]})"),
            "/readinessChecks(0)/portName: No port definition reference for portName nope");
  EXPECT_EQ(first(R"({"id": "web", "cmd": "x", "unreachableStrategy": {"inactiveAfterSeconds": 10, "expungeAfterSeconds": 5}})"),
            "/unreachableStrategy/inactiveAfterSeconds: inactiveAfterSeconds (10.0) must be less or equal to expungeAfterSeconds, which is 5.0");
  EXPECT_EQ(first(R"({"id": "web", "cmd": "x", "acceptedResourceRoles": ["eng"]})"),
            "/acceptedResourceRoles: acceptedResourceRoles can only contain * and *");
  EXPECT_EQ(first(R"({"id": "web", "cmd": "x", "role": "eng"})"), "/role: got eng, expected one of: [*]");
  EXPECT_EQ(first(R"({"id": "web", "cmd": "x", "dependencies": ["web"]})"), "/dependencies(0): an app cannot depend on itself");
  EXPECT_EQ(violationsBody(check(R"({"id": "web"})"))["message"], "Object is not valid");
}

TEST(AppDefinitionTest, ConstraintErrorsAreMarathons) {
  auto c = [](const std::string& constraint) { return first(R"({"id": "web", "cmd": "x", "constraints": [)" + constraint + "]}"); };
  EXPECT_EQ(c(R"(["hostname"])"), "/constraints(0): Each constraint must have either 2 or 3 fields");
  EXPECT_EQ(c(R"(["hostname", "SOMETIMES"])"),
            "/constraints(0): operator must be one of the following UNIQUE, CLUSTER, GROUP_BY, LIKE, MAX_PER, UNLIKE or IS");
  EXPECT_EQ(c(R"(["hostname", "UNIQUE", "x"])"), "/constraints(0): UNIQUE does not accept a value");
  EXPECT_EQ(c(R"(["rack", "GROUP_BY", "two"])"), "/constraints(0): GROUP BY must define an integer value or else no value at all");
  EXPECT_EQ(c(R"(["rack", "MAX_PER"])"), "/constraints(0): MAX_PER requires an integer value");
  EXPECT_EQ(c(R"(["rack", "LIKE"])"), "/constraints(0): LIKE and UNLIKE require a non-empty, regular expression value");
  EXPECT_EQ(c(R"(["rack", "LIKE", "("])"), "/constraints(0): is not a valid regular expression");
  // Found by fuzzing: undefined behaviour inside std::regex before it was refused.
  EXPECT_EQ(c(R"(["rack", "LIKE", "\\18446744073709551615"])"), "/constraints(0): is not a valid regular expression");
  EXPECT_EQ(c(R"(["rack", "IS", "a b"])"),
            "/constraints(0): IS only supports Mesos text and float values (see http://mesos.apache.org/documentation/latest/attributes-resources/)");
  EXPECT_EQ(c(R"(["rack", "CLUSTER", "r1"], ["hostname", "MAX_PER", "2"], ["rack", "UNLIKE", "r[0-9]"])"), "");
}

TEST(AppDefinitionTest, WhatAgoraCannotDoIsRefusedByName) {
  EXPECT_EQ(first(R"({"id": "web", "cmd": "x", "container": {"type": "DOCKER", "docker": {"image": "nginx"}}})"),
            "/container: containers with an image, volumes or port mappings are not supported by Agora yet; "
            "remove \"container\" to run the command on the agent's own filesystem");
  EXPECT_EQ(first(R"({"id": "web", "cmd": "x", "fetch": [{"uri": "http://x/y.tgz"}]})").substr(0, 40),
            "/fetch: fetching artifacts is not suppor");
  EXPECT_EQ(first(R"({"id": "web", "cmd": "x", "uris": ["http://x"]})").substr(0, 39), "/uris: fetching artifacts is not suppor");
  EXPECT_EQ(first(R"({"id": "web", "cmd": "x", "networks": [{"mode": "container", "name": "dcos"}]})"),
            "/networks(0): only host networking is supported by Agora yet: give {\"mode\": \"host\"}");
  EXPECT_EQ(first(R"({"id": "", "cmd": "x"})"), "/id: must not be empty");
  EXPECT_EQ(first(R"({"id": "web", "cmd": "x", "instances": 5000000000})"), "/instances: got 5000000000, expected 4294967295 or less");
  EXPECT_EQ(first(R"({"id": "web", "cmd": "x", "container": {"type": 7}})").substr(0, 44), "/container: containers with an image, volume");
  EXPECT_EQ(first(R"({"id": "web", "cmd": "x", "env": {"PW": {"secret": "pw"}}})"),
            "/env/PW: secrets are not supported by Agora yet; give the variable's value as a string");
  EXPECT_EQ(first(R"({"id": "web", "cmd": "x", "colour": "red"})"),
            "/colour: is not a field Agora knows; remove it (see docs/services.md for the fields)");
  // What a GET returns beside the definition is accepted and left alone.
  EXPECT_EQ(first(R"({"id": "web", "cmd": "x", "tasksRunning": 3, "deployments": [], "version": "2020-01-01T00:00:00.000Z",
                      "uris": [], "fetch": [], "executor": "", "networks": [{"mode": "host"}]})"), "");
}

TEST(AppDefinitionTest, PatchReplacesTheFieldsItNames) {
  json current = {{"id", "/web"}, {"cmd", "x"}, {"instances", 2}, {"env", {{"A", "1"}}}};
  json merged = mergePatch(current, {{"instances", 5}, {"env", {{"B", "2"}}}});
  EXPECT_EQ(merged["instances"], 5);
  EXPECT_EQ(merged["cmd"], "x");
  EXPECT_EQ(merged["env"], json({{"B", "2"}}));
}

// Fuzzing: {"backoffSeconds": 1e300} was accepted, and appToJson's wholeSeconds then cast it
// to int64 (undefined behaviour). Durations past 100 years are now violations (a 422).
TEST(AppDefinitionTest, HugeDurationsAreViolations) {
  Violations v;
  Try<AppDefinition> app = readApp(json::parse(R"({"id": "web", "cmd": "x", "backoffSeconds": 1e300})"), "/", "*", v);
  ASSERT_TRUE(app.isError());
  EXPECT_EQ(first(R"({"id": "web", "cmd": "x", "backoffSeconds": 1e300})"),
            "/backoffSeconds: got 1e+300, expected 3155760000 (100 years) or less");
  for (const char* field : {"maxLaunchDelaySeconds", "taskKillGracePeriodSeconds"})
    EXPECT_EQ(first(std::string(R"({"id": "web", "cmd": "x", ")") + field + R"(": 1e20})"),
              std::string("/") + field + ": got 1e+20, expected 3155760000 (100 years) or less");
  EXPECT_EQ(first(R"({"id": "web", "cmd": "x", "unreachableStrategy": {"inactiveAfterSeconds": 0, "expungeAfterSeconds": 1e300}})"),
            "/unreachableStrategy/expungeAfterSeconds: got 1e+300, expected 3155760000 (100 years) or less");
  EXPECT_EQ(first(R"({"id": "web", "cmd": "x", "healthChecks": [{"protocol": "COMMAND", "command": {"value": "true"},
                      "intervalSeconds": 1e300}]})"),
            "/healthChecks(0)/intervalSeconds: got 1e+300, expected 3155760000 (100 years) or less");
  EXPECT_EQ(first(R"({"id": "web", "cmd": "x", "backoffSeconds": -1e300})"), "/backoffSeconds: got -1e+300, expected 0 or more");

  // The most that is allowed is accepted and shown as a whole number.
  AppDefinition most;
  ASSERT_TRUE(check(R"({"id": "web", "cmd": "x", "maxLaunchDelaySeconds": 3155760000})", &most).empty());
  EXPECT_EQ(appToJson(most)["maxLaunchDelaySeconds"], json(int64_t{3155760000}));
}

// wholeSeconds checks the range before it casts: out of int64, a double stays a double.
TEST(AppDefinitionTest, WholeSecondsNeverCastsOutOfRange) {
  EXPECT_TRUE(wholeSeconds(300).is_number_integer());
  EXPECT_EQ(wholeSeconds(300), json(300));
  EXPECT_TRUE(wholeSeconds(1.5).is_number_float());
  for (double huge : {1e300, -1e300, 1e19, -1e19, 1e15})
    EXPECT_TRUE(wholeSeconds(huge).is_number_float()) << huge;
  EXPECT_TRUE(wholeSeconds(std::numeric_limits<double>::infinity()).is_number_float());
}

}  // namespace
}  // namespace agora::marathon
