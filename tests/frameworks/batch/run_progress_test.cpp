// A run's rules on their own: indexed completions within parallelism, retries with backoff up
// to the limit, exit-code rules, launches that never left, and the deadlines.
#include <gtest/gtest.h>

#include "frameworks/batch/run_progress.hpp"

namespace agora::batch {
namespace {

Run runOf(RunSpec spec) {
  Run r;
  r.id = "r1";
  r.jobId = "job";
  r.createdAt = 1000;
  r.job.id = "job";
  r.job.run = spec;
  return r;
}

TaskAttempt& launch(Run& r, uint32_t index) {
  TaskAttempt a;
  a.index = index;
  a.taskId = taskIdFor(r, index, r.attempts++);
  a.state = TaskState::RUNNING;
  a.heard = true;
  r.tasks.push_back(a);
  if (r.startedAt == 0) r.startedAt = 1001;
  return r.tasks.back();
}

void end(Run& r, TaskAttempt& a, TaskState state, std::optional<int> code, double now) {
  a.state = state;
  a.exitCode = code;
  applyTaskEnd(r, a, now);
}

TEST(RunProgressTest, IndexedCompletionsNeverExceedParallelism) {
  RunSpec spec;
  spec.completions = 20;
  spec.parallelism = 4;
  batch::Run r = runOf(spec);
  std::set<uint32_t> launched;
  for (int round = 0; round < 100 && !r.ended(); ++round) {
    std::vector<uint32_t> next = indexesToLaunch(r, 1000);
    size_t live = 0;
    for (const TaskAttempt& t : r.tasks) live += t.live();
    EXPECT_LE(live + next.size(), 4u);
    for (uint32_t i : next) {
      EXPECT_TRUE(launched.insert(i).second) << "index " << i << " launched twice";
      launch(r, i);
    }
    // The oldest live task finishes.
    for (TaskAttempt& t : r.tasks)
      if (t.live()) {
        end(r, t, TaskState::FINISHED, 0, 1002);
        break;
      }
  }
  EXPECT_EQ(r.status, RunStatus::kSuccess);
  EXPECT_EQ(launched.size(), 20u);
  EXPECT_EQ(*launched.rbegin(), 19u);
}

TEST(RunProgressTest, RetriesWithExponentialBackoffUpToTheLimit) {
  RunSpec spec;
  spec.restartPolicy = RestartPolicy::kOnFailure;
  spec.maxRetries = 3;
  spec.backoffSeconds = 2;
  spec.backoffFactor = 3;
  spec.maxBackoffSeconds = 10;
  batch::Run r = runOf(spec);
  double now = 1000;
  std::vector<double> delays;
  for (int i = 0; i < 4; ++i) {
    ASSERT_FALSE(r.ended());
    ASSERT_EQ(indexesToLaunch(r, now), std::vector<uint32_t>{0});
    end(r, launch(r, 0), TaskState::FAILED, 1, now);
    if (!r.ended()) {
      delays.push_back(r.retryAt - now);
      EXPECT_TRUE(indexesToLaunch(r, r.retryAt - 0.001).empty()) << "launched before its backoff";
      now = r.retryAt;
    }
  }
  EXPECT_EQ(delays, (std::vector<double>{2, 6, 10}));  // 2, 2*3, min(18, 10)
  EXPECT_EQ(r.status, RunStatus::kFailed);
  EXPECT_NE(r.reason.find("restart.maxRetries is 3"), std::string::npos) << r.reason;
  EXPECT_EQ(r.tasks.size(), 4u);
}

TEST(RunProgressTest, NeverPolicyFailsOnTheFirstFailure) {
  batch::Run r = runOf(RunSpec{});
  end(r, launch(r, 0), TaskState::FAILED, 3, 1005);
  EXPECT_EQ(r.status, RunStatus::kFailed);
  EXPECT_NE(r.reason.find("exited with 3"), std::string::npos) << r.reason;
}

TEST(RunProgressTest, ExitCodeRules) {
  RunSpec spec;
  spec.restartPolicy = RestartPolicy::kOnFailure;
  spec.failRunOnExitCodes = {42};
  spec.ignoreExitCodes = {75};
  batch::Run r = runOf(spec);
  end(r, launch(r, 0), TaskState::FAILED, 75, 1005);
  EXPECT_FALSE(r.ended());
  EXPECT_EQ(r.failures, 0u);  // not counted
  EXPECT_EQ(indexesToLaunch(r, 1005), std::vector<uint32_t>{0});
  end(r, launch(r, 0), TaskState::FAILED, 42, 1006);
  EXPECT_EQ(r.status, RunStatus::kFailed);
  EXPECT_NE(r.reason.find("exitCodes.failRun"), std::string::npos) << r.reason;
}

TEST(RunProgressTest, ALaunchThatNeverLeftIsLaunchedAgainUncounted) {
  batch::Run r = runOf(RunSpec{});
  TaskAttempt& a = launch(r, 0);
  a.heard = false;
  end(r, a, TaskState::UNKNOWN, std::nullopt, 1003);
  EXPECT_FALSE(r.ended());
  EXPECT_EQ(r.failures, 0u);
  EXPECT_EQ(indexesToLaunch(r, 1003), std::vector<uint32_t>{0});
  // One the master knew and then lost is a failure.
  TaskAttempt& b = launch(r, 0);
  end(r, b, TaskState::UNKNOWN, std::nullopt, 1004);
  EXPECT_EQ(r.status, RunStatus::kFailed);
}

TEST(RunProgressTest, Deadlines) {
  RunSpec spec;
  spec.activeDeadlineSeconds = 60;
  spec.maxLaunchDelaySeconds = 30;
  batch::Run r = runOf(spec);
  EXPECT_FALSE(deadlinePassed(r, 1029));
  ASSERT_TRUE(deadlinePassed(r, 1030));
  EXPECT_NE(deadlinePassed(r, 1030)->find("maxLaunchDelay"), std::string::npos);
  EXPECT_EQ(nextRunEvent(r, 1000), 1030);
  launch(r, 0);
  EXPECT_FALSE(deadlinePassed(r, 1030));
  ASSERT_TRUE(deadlinePassed(r, 1060));
  EXPECT_NE(deadlinePassed(r, 1060)->find("activeDeadlineSeconds"), std::string::npos);
}

TEST(RunProgressTest, RestartDeadlineEndsRetries) {
  RunSpec spec;
  spec.restartPolicy = RestartPolicy::kOnFailure;
  spec.restartDeadlineSeconds = 10;
  batch::Run r = runOf(spec);
  end(r, launch(r, 0), TaskState::FAILED, 1, 1005);
  EXPECT_FALSE(r.ended());
  end(r, launch(r, 0), TaskState::FAILED, 1, 1012);
  EXPECT_EQ(r.status, RunStatus::kFailed);
  EXPECT_NE(r.reason.find("restart.activeDeadlineSeconds"), std::string::npos) << r.reason;
}

// A task's log links use the agent's URL as the master gives it (https for a TLS agent); runs
// stored before statuses carried URLs hold host:port, which is plain HTTP.
TEST(RunProgressTest, LogLinksFollowTheAgentsScheme) {
  auto r = runOf(RunSpec{});
  TaskAttempt& tls = launch(r, 0);
  tls.agentHttp = "https://10.0.0.5:5051";
  TaskAttempt& old = launch(r, 1);
  old.agentHttp = "10.0.0.6:5051";
  nlohmann::json j = runToJson(r, "fw");
  EXPECT_EQ(j["tasks"][0]["logs"]["stdout"],
            "https://10.0.0.5:5051/api/v1/files/read?task_id=" + r.tasks[0].taskId + "&framework_id=fw&file=stdout");
  EXPECT_EQ(j["tasks"][1]["logs"]["stderr"],
            "http://10.0.0.6:5051/api/v1/files/read?task_id=" + r.tasks[1].taskId + "&framework_id=fw&file=stderr");
}

}  // namespace
}  // namespace agora::batch
