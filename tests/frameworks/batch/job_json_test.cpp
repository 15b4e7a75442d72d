// Metronome job specs: what they read into, what a GET shows (and can be PUT back), and the
// 422 answer with each violation under its path.
#include <gtest/gtest.h>

#include "frameworks/batch/job_json.hpp"

namespace agora::batch {
namespace {

using nlohmann::json;

json violationsOf(const json& spec) {
  Violations v;
  jobFromJson(spec, v);
  return violationsBody(v);
}

bool hasError(const json& body, const std::string& path, const std::string& fragment) {
  for (const json& d : body["details"])
    if (d["path"] == path)
      for (const json& e : d["errors"])
        if (e.get<std::string>().find(fragment) != std::string::npos) return true;
  return false;
}

TEST(JobJsonTest, ReadsMetronomesExample) {
  json spec = json::parse(R"({
    "id": "prod.example.app", "description": "Example Application", "labels": {"location": "olympus"},
    "run": {"cmd": "nuke --dry --master local", "cpus": 1.5, "mem": 32, "disk": 128,
            "env": {"MON": "test"}, "maxLaunchDelay": 3600,
            "placement": {"constraints": [{"attribute": "rack", "operator": "EQ", "value": "rack-2"}]},
            "restart": {"activeDeadlineSeconds": 120, "policy": "NEVER"}, "user": "root",
            "artifacts": [], "volumes": [], "secrets": {}},
    "schedules": [{"id": "every-minute", "cron": "* * * * *", "timezone": "Europe/Berlin",
                   "concurrencyPolicy": "FORBID", "startingDeadlineSeconds": 60}]})");
  Violations v;
  JobSpec job = jobFromJson(spec, v);
  ASSERT_TRUE(v.empty()) << violationsBody(v).dump();
  EXPECT_EQ(job.id, "prod.example.app");
  EXPECT_EQ(job.run.cpus, 1.5);
  EXPECT_EQ(job.run.constraints.at(0).op, "IS");  // as Metronome shows EQ
  EXPECT_EQ(job.run.restartDeadlineSeconds, 120);
  EXPECT_EQ(job.schedules.at(0).concurrencyPolicy, ConcurrencyPolicy::kForbid);
  EXPECT_EQ(job.schedules.at(0).catchUp, CatchUp::kOnce);
  // What GET shows reads back as the same job.
  Violations again;
  JobSpec back = jobFromJson(jobToJson(job, true), again);
  ASSERT_TRUE(again.empty()) << violationsBody(again).dump();
  EXPECT_EQ(jobToJson(back, true), jobToJson(job, true));
}

TEST(JobJsonTest, ViolationsNameTheirFields) {
  json body = violationsOf(json::parse(R"({"id": "Bad_Id", "run": {"cpus": 0, "mem": 8, "parallelism": 0,
      "restart": {"policy": "SOMETIMES"}, "placement": {"constraints": [{"attribute": "rack", "operator": "NEAR", "value": "x"}]}},
      "schedules": [{"id": "s", "cron": "61 * * * *", "timezone": "Mars/Olympus"}]})"));
  EXPECT_EQ(body["message"], "Object is not valid");
  EXPECT_TRUE(hasError(body, "/id", "must fully match regular expression"));
  EXPECT_TRUE(hasError(body, "/run", "give cmd"));
  EXPECT_TRUE(hasError(body, "/run/cpus", "expected 0.01 or more"));
  EXPECT_TRUE(hasError(body, "/run/mem", "expected 32.0 or more"));
  EXPECT_TRUE(hasError(body, "/run/parallelism", "1 or more"));
  EXPECT_TRUE(hasError(body, "/run/restart/policy", "NEVER, ON_FAILURE"));
  EXPECT_TRUE(hasError(body, "/run/placement/constraints(0)/operator", "EQ, IS, LIKE or UNLIKE"));
  EXPECT_TRUE(hasError(body, "/schedules(0)/cron", "minute field '61': 61 is out of range 0-59"));
  EXPECT_TRUE(hasError(body, "/schedules(0)/timezone", "unknown time zone 'Mars/Olympus'"));
}

// Found by fuzzing: a back-reference this large was undefined behaviour inside std::regex; RE2
// refuses back-references.
TEST(JobJsonTest, ConstraintPatternsAreCheckedAsPlacementReadsThem) {
  json body = violationsOf(json::parse(R"({"id": "a", "run": {"cmd": "true", "cpus": 1, "mem": 64, "placement": {"constraints": [
      {"attribute": "rack", "operator": "LIKE", "value": "\\18446744073709551615"},
      {"attribute": "rack", "operator": "UNLIKE", "value": "r[1"},
      {"attribute": "rack", "operator": "LIKE", "value": "r[0-9]{1,3}"}]}}})"));
  EXPECT_TRUE(hasError(body, "/run/placement/constraints(0)/value", "is not a valid regular expression: invalid escape sequence"));
  EXPECT_TRUE(hasError(body, "/run/placement/constraints(1)/value", "is not a valid regular expression"));
  EXPECT_FALSE(hasError(body, "/run/placement/constraints(2)/value", ""));
}

TEST(JobJsonTest, AmountsNoAgentCanHoldAreRefused) {
  json body = violationsOf(json::parse(R"({"id": "a", "run": {"cmd": "true", "cpus": 1e13, "mem": 64, "gpus": -1}})"));
  EXPECT_TRUE(hasError(body, "/run/cpus", "at most 1e12"));
  EXPECT_TRUE(hasError(body, "/run/gpus", "expected 0 or more"));
  EXPECT_FALSE(hasError(body, "/run/mem", "expected"));
}

TEST(JobJsonTest, TypeErrorsAreInvalidJson) {
  json body = violationsOf(json::parse(R"({"id": "a", "run": {"cmd": "true", "cpus": "one"}})"));
  EXPECT_EQ(body["message"], "Invalid JSON");
  EXPECT_TRUE(hasError(body, "/run/cpus", "error.expected.jsnumber"));
}

TEST(JobJsonTest, WhatAgoraCannotDoIsRefusedByName) {
  json body = violationsOf(json::parse(R"({"id": "a", "run": {"cmd": "true", "docker": {"image": "busybox"},
      "artifacts": [{"uri": "http://x"}], "secrets": {"s": {"source": "x"}}, "colour": "red"}})"));
  EXPECT_TRUE(hasError(body, "/run/docker", "Docker images are not supported by Agora yet"));
  EXPECT_TRUE(hasError(body, "/run/artifacts", "fetching artifacts is not supported"));
  EXPECT_TRUE(hasError(body, "/run/secrets", "secrets are not supported"));
  EXPECT_TRUE(hasError(body, "/run/colour", "is not a field Agora knows"));
}

TEST(JobJsonTest, AgorasAdditions) {
  Violations v;
  JobSpec job = jobFromJson(json::parse(R"({"id": "array", "run": {"args": ["/bin/echo", "hi"], "completions": 20,
      "parallelism": 4, "activeDeadlineSeconds": 600, "exitCodes": {"failRun": [42], "ignore": [75]},
      "restart": {"policy": "ON_FAILURE", "maxRetries": 3, "backoffSeconds": 2}},
      "historyLimits": {"successful": 5, "failed": 2}, "dependencies": [{"id": "parent"}]})"), v);
  ASSERT_TRUE(v.empty()) << violationsBody(v).dump();
  EXPECT_EQ(job.run.completions, 20u);
  EXPECT_EQ(job.run.failRunOnExitCodes, std::vector<int>{42});
  EXPECT_EQ(job.run.maxRetries, 3u);
  EXPECT_EQ(job.successfulHistoryLimit, 5u);
  EXPECT_EQ(job.dependencies, std::vector<std::string>{"parent"});
}

// Fuzzing: {"maxLaunchDelay": 1e300} was accepted and then cast to int64 when shown (undefined
// behaviour in wholeSeconds). Durations past 100 years are violations under their paths.
TEST(JobJsonTest, HugeDurationsAreViolations) {
  json body = violationsOf(json::parse(R"({"id": "a", "run": {"cmd": "x", "maxLaunchDelay": 1e300}})"));
  EXPECT_TRUE(hasError(body, "/run/maxLaunchDelay", "expected 3155760000 (100 years) or less")) << body.dump();
  body = violationsOf(json::parse(R"({"id": "a", "run": {"cmd": "x", "activeDeadlineSeconds": 1e20,
      "taskKillGracePeriodSeconds": 4e9, "restart": {"policy": "ON_FAILURE", "backoffSeconds": 1e300,
      "maxBackoffSeconds": 1e300, "activeDeadlineSeconds": -1e300}},
      "schedules": [{"id": "s", "cron": "@daily", "startingDeadlineSeconds": 1e300}]})"));
  for (const char* path : {"/run/activeDeadlineSeconds", "/run/taskKillGracePeriodSeconds", "/run/restart/backoffSeconds",
                           "/run/restart/maxBackoffSeconds", "/schedules(0)/startingDeadlineSeconds"})
    EXPECT_TRUE(hasError(body, path, "(100 years) or less")) << path << ": " << body.dump();
  EXPECT_TRUE(hasError(body, "/run/restart/activeDeadlineSeconds", "expected 0 or more")) << body.dump();
  // The most that is allowed shows as a whole number and reads back.
  Violations v;
  JobSpec job = jobFromJson(json::parse(R"({"id": "a", "run": {"cmd": "x", "maxLaunchDelay": 3155760000}})"), v);
  ASSERT_TRUE(v.empty()) << violationsBody(v).dump();
  EXPECT_EQ(jobToJson(job, false)["run"]["maxLaunchDelay"], json(int64_t{3155760000}));
  Try<JobSpec> stored = storedJobFromJson(jobToJson(job, true));
  ASSERT_TRUE(stored.ok()) << stored.error();
}

// Fuzzing: a dependency {"id": 5} threw nlohmann's type_error out of jobFromJson.
TEST(JobJsonTest, ADependencyIdThatIsNotAStringIsAViolation) {
  json spec = json::parse(R"({"id": "a", "run": {"cmd": "x"}, "dependencies": [{"id": 5}, {"id": null}, 7, {}]})");
  json body;
  ASSERT_NO_THROW(body = violationsOf(spec));
  EXPECT_TRUE(hasError(body, "/dependencies(0)/id", "error.expected.jsstring")) << body.dump();
  EXPECT_TRUE(hasError(body, "/dependencies(1)/id", "error.expected.jsstring")) << body.dump();
  EXPECT_TRUE(hasError(body, "/dependencies(2)", "give the parent job as")) << body.dump();
  EXPECT_TRUE(hasError(body, "/dependencies(3)", "give the parent job as")) << body.dump();
  Try<JobSpec> stored = Error("not read");
  ASSERT_NO_THROW(stored = storedJobFromJson(spec));
  ASSERT_TRUE(stored.isError());
  EXPECT_NE(stored.error().find("the stored job 'a' does not read: /dependencies(0)/id"), std::string::npos) << stored.error();
}

// Fuzzing: storedJobFromJson threw on a damaged entry (not an object, or an id not a string)
// while naming the job in its error.
TEST(JobJsonTest, ADamagedStoredJobIsAnErrorNotAnException) {
  for (const char* text : {"5", "null", "\"job\"", "[]", R"({"id": 5, "run": {"cmd": "x"}})", R"({"id": ["a"]})"}) {
    Try<JobSpec> stored = Error("not read");
    ASSERT_NO_THROW(stored = storedJobFromJson(json::parse(text))) << text;
    ASSERT_TRUE(stored.isError()) << text;
    EXPECT_NE(stored.error().find("the stored job '?' does not read"), std::string::npos) << stored.error();
  }
  Try<JobSpec> stored = storedJobFromJson(json::parse("5"));
  ASSERT_TRUE(stored.isError());
  EXPECT_EQ(stored.error(), "the stored job '?' does not read: /: error.expected.jsobject");
}

}  // namespace
}  // namespace agora::batch
