// agora-batch's decisions on a manual clock against a real store, reopened to stand for a
// SIGKILL and a restart: a slot is run exactly once, a task is never launched twice, missed
// slots follow the catch-up policy, FORBID holds a slot, and dependants fire across a restart.
// The driver is never started, so launches are read from the runs' records.
#include <gtest/gtest.h>

#include "frameworks/batch/job_json.hpp"
#include "frameworks/batch/job_scheduler.hpp"
#include "tests/support/temp_dir.hpp"

namespace agora::batch {
namespace {

using nlohmann::json;

class JobSchedulerTest : public ::testing::Test {
 protected:
  JobSchedulerTest() { open(); }

  // A restart: everything in memory is gone; only the store remains.
  void open() {
    driver_.reset();
    scheduler_.reset();
    auto store = openRocksDbStore(dir_.path() + "/state");
    ASSERT_TRUE(store.ok()) << store.error();
    scheduler_ = std::make_unique<JobScheduler>(loop_, std::move(*store), SchedulerOptions{});
    ASSERT_TRUE(scheduler_->recover().ok());
    driver_ = std::make_unique<sdk::SchedulerDriver>(*scheduler_, FrameworkInfo{}, "127.0.0.1:1", loop_);
    run();
  }
  void run() {
    scheduler_->requestSettle();
    for (int i = 0; i < 5; ++i) loop_.runOnce(Duration::zero());
  }
  void advance(double s) {
    clock_.advance(seconds(s));
    run();
  }
  // To the start of the next minute, plus `extra` seconds.
  void toNextMinute(double extra = 0.5) {
    double t = clock_.wallSeconds();
    advance(60 - std::fmod(t, 60) + extra);
  }
  void add(const std::string& spec) {
    Violations v;
    JobSpec job = jobFromJson(json::parse(spec), v);
    ASSERT_TRUE(v.empty()) << violationsBody(v).dump();
    ASSERT_EQ(scheduler_->createJob(job).status, 201);
    run();
  }
  void offer() {
    Offer o;
    o.id = "offer-" + std::to_string(++offers_);
    o.agentId = "agent-1";
    o.hostname = "host-1";
    o.resources = *Resources::parse("cpus:8;mem:8192");
    scheduler_->resourceOffers(*driver_, {o});
    run();
  }
  void update(const std::string& taskId, TaskState state, std::optional<int> code = std::nullopt,
              TaskReason reason = TaskReason::NONE) {
    TaskStatus s;
    s.taskId = taskId;
    s.agentId = "agent-1";
    s.state = state;
    s.exitCode = code;
    s.reason = reason;
    scheduler_->statusUpdate(*driver_, s);
    run();
  }
  std::vector<const batch::Run*> runs(const std::string& job) { return scheduler_->runsOf(job); }
  double kills() {
    auto it = scheduler_->counters().find("kills_sent");
    return it == scheduler_->counters().end() ? 0 : it->second;
  }
  // A run of `job` started through the API with one task RUNNING; returns the task's id.
  std::string running(const std::string& job) {
    (void)scheduler_->startRun(job);
    run();
    offer();
    std::string task = runs(job).back()->tasks.back().taskId;
    update(task, TaskState::RUNNING);
    return task;
  }

  testing::TempDir dir_;
  ManualClock clock_;
  EventLoop loop_{clock_};
  std::unique_ptr<JobScheduler> scheduler_;
  std::unique_ptr<sdk::SchedulerDriver> driver_;
  int offers_ = 0;
};

const char* kMinutely = R"({"id": "tick", "run": {"cmd": "true", "cpus": 1, "mem": 32},
                            "schedules": [{"id": "m", "cron": "* * * * *", "catchUp": "ONCE"}]})";

TEST_F(JobSchedulerTest, ASlotIsOneRunWrittenWithItsCursor) {
  add(kMinutely);
  toNextMinute();
  ASSERT_EQ(runs("tick").size(), 1u);
  const batch::Run* r = runs("tick")[0];
  ASSERT_TRUE(r->slot);
  EXPECT_EQ(r->id, scheduledRunId("m", *r->slot));
  EXPECT_EQ(scheduler_->scheduleState("tick", "m")->cursor, *r->slot);
  open();  // killed after the write, before any launch
  ASSERT_EQ(runs("tick").size(), 1u) << "the slot's run was not kept, or was made again";
  EXPECT_EQ(runs("tick")[0]->status, RunStatus::kInitial);
  offer();  // and it is launched exactly once
  ASSERT_EQ(runs("tick")[0]->tasks.size(), 1u);
  offer();
  EXPECT_EQ(runs("tick")[0]->tasks.size(), 1u);
}

TEST_F(JobSchedulerTest, AnAttemptThatNeverLeftIsLaunchedOnceAfterARestart) {
  add(R"({"id": "once", "run": {"cmd": "true", "cpus": 1, "mem": 32}})");
  ASSERT_EQ(scheduler_->startRun("once").status, 201);
  run();
  offer();
  ASSERT_EQ(runs("once")[0]->tasks.size(), 1u);
  std::string first = runs("once")[0]->tasks[0].taskId;
  open();  // killed after writing the attempt, before the launch left
  EXPECT_EQ(scheduler_->knownTaskIds(), std::vector<std::string>{first});
  update(first, TaskState::UNKNOWN);  // the master's answer to reconciliation
  offer();
  const batch::Run* r = runs("once")[0];
  ASSERT_EQ(r->tasks.size(), 2u);
  EXPECT_EQ(r->failures, 0u);
  update(r->tasks[1].taskId, TaskState::RUNNING);
  update(r->tasks[1].taskId, TaskState::FINISHED, 0);
  EXPECT_EQ(runs("once")[0]->status, RunStatus::kSuccess);
}

TEST_F(JobSchedulerTest, ARunningTaskIsAdoptedNotLaunchedAgain) {
  add(R"({"id": "long", "run": {"cmd": "sleep 100", "cpus": 1, "mem": 32}})");
  (void)scheduler_->startRun("long");
  run();
  offer();
  std::string task = runs("long")[0]->tasks[0].taskId;
  update(task, TaskState::RUNNING);
  open();
  update(task, TaskState::RUNNING);  // reconciliation
  offer();
  EXPECT_EQ(runs("long")[0]->tasks.size(), 1u);
  EXPECT_EQ(runs("long")[0]->status, RunStatus::kActive);
}

TEST_F(JobSchedulerTest, SlotsMissedWhileDownFollowTheCatchUpPolicy) {
  add(kMinutely);
  toNextMinute();
  ASSERT_EQ(runs("tick").size(), 1u);
  scheduler_.reset();
  clock_.advance(seconds(3600));  // an hour down
  open();
  ASSERT_EQ(runs("tick").size(), 2u) << "ONCE: one run for the hour's slots";
  const ScheduleState* st = scheduler_->scheduleState("tick", "m");
  EXPECT_EQ(st->missed, 59u);
  EXPECT_NE(st->lastMissedWhy.find("while agora-batch was down"), std::string::npos);
  toNextMinute();
  EXPECT_EQ(runs("tick").size(), 3u) << "and the schedule goes on";
}

TEST_F(JobSchedulerTest, ForbidHoldsTheSlotUntilTheActiveRunEnds) {
  add(R"({"id": "slow", "run": {"cmd": "sleep 90", "cpus": 1, "mem": 32},
          "schedules": [{"id": "m", "cron": "* * * * *", "concurrencyPolicy": "FORBID", "startingDeadlineSeconds": 120}]})");
  toNextMinute();
  offer();
  std::string task = runs("slow")[0]->tasks[0].taskId;
  update(task, TaskState::RUNNING);
  toNextMinute();
  EXPECT_EQ(runs("slow").size(), 1u) << "FORBID let a second run start";
  EXPECT_TRUE(scheduler_->scheduleState("slow", "m")->held);
  advance(20);
  update(task, TaskState::FINISHED, 0);
  ASSERT_EQ(runs("slow").size(), 2u) << "the held slot did not run when the first ended";
  EXPECT_EQ(*runs("slow")[1]->slot - *runs("slow")[0]->slot, std::chrono::seconds(60));
}

TEST_F(JobSchedulerTest, ReplaceStopsTheActiveRun) {
  add(R"({"id": "fresh", "run": {"cmd": "sleep 90", "cpus": 1, "mem": 32},
          "schedules": [{"id": "m", "cron": "* * * * *", "concurrencyPolicy": "REPLACE"}]})");
  toNextMinute();
  offer();
  update(runs("fresh")[0]->tasks[0].taskId, TaskState::RUNNING);
  toNextMinute();
  ASSERT_EQ(runs("fresh").size(), 2u);
  EXPECT_EQ(runs("fresh")[0]->status, RunStatus::kFailed);
  EXPECT_NE(runs("fresh")[0]->reason.find("REPLACE"), std::string::npos);
}

TEST_F(JobSchedulerTest, ADependantFiresAcrossARestart) {
  add(R"({"id": "left", "run": {"cmd": "true", "cpus": 1, "mem": 32}})");
  add(R"({"id": "right", "run": {"cmd": "true", "cpus": 1, "mem": 32}})");
  add(R"({"id": "join", "run": {"cmd": "true", "cpus": 1, "mem": 32}, "dependencies": [{"id": "left"}, {"id": "right"}]})");
  auto succeed = [&](const std::string& job) {
    (void)scheduler_->startRun(job);
    run();
    offer();
    std::string task = runs(job).back()->tasks.back().taskId;
    update(task, TaskState::RUNNING);
    update(task, TaskState::FINISHED, 0);
  };
  succeed("left");
  EXPECT_TRUE(runs("join").empty());
  open();
  succeed("right");
  ASSERT_EQ(runs("join").size(), 1u);
  EXPECT_EQ(runs("join")[0]->trigger, Trigger::kDependency);
}

TEST_F(JobSchedulerTest, AFailedParentBlocksItsChild) {
  add(R"({"id": "parent", "run": {"cmd": "false", "cpus": 1, "mem": 32}})");
  add(R"({"id": "child", "run": {"cmd": "true", "cpus": 1, "mem": 32}, "dependencies": [{"id": "parent"}]})");
  (void)scheduler_->startRun("parent");
  run();
  offer();
  update(runs("parent")[0]->tasks[0].taskId, TaskState::FAILED, 1);
  EXPECT_TRUE(runs("child").empty());
  ASSERT_TRUE(scheduler_->dependencyState("child"));
  EXPECT_NE(scheduler_->dependencyState("child")->blockedBy.at("parent").find("failed"), std::string::npos);
  // Marked successful, the parent's run lets the child go.
  ASSERT_EQ(scheduler_->markSuccess("parent", runs("parent")[0]->id).status, 200);
  run();
  EXPECT_EQ(runs("child").size(), 1u);
}

TEST_F(JobSchedulerTest, CyclesAreRefusedWithTheCycleNamed) {
  add(R"({"id": "a", "run": {"cmd": "true", "cpus": 1, "mem": 32}})");
  add(R"({"id": "b", "run": {"cmd": "true", "cpus": 1, "mem": 32}, "dependencies": [{"id": "a"}]})");
  Violations v;
  JobSpec a = jobFromJson(json::parse(R"({"id": "a", "run": {"cmd": "true", "cpus": 1, "mem": 32}, "dependencies": [{"id": "b"}]})"), v);
  Outcome o = scheduler_->updateJob(a);
  EXPECT_EQ(o.status, 422);
  EXPECT_NE(o.body.dump().find("a -> b -> a"), std::string::npos) << o.body.dump();
}

TEST_F(JobSchedulerTest, HistoryIsPrunedToItsLimits) {
  add(R"({"id": "h", "run": {"cmd": "true", "cpus": 1, "mem": 32}, "historyLimits": {"successful": 2, "failed": 1}})");
  for (int i = 0; i < 4; ++i) {
    (void)scheduler_->startRun("h");
    run();
    offer();
    std::string task = runs("h").back()->tasks.back().taskId;
    update(task, TaskState::FINISHED, 0);
    advance(1);
  }
  EXPECT_EQ(runs("h").size(), 2u);
  EXPECT_EQ(scheduler_->stats("h").successCount, 4u);
}

TEST_F(JobSchedulerTest, AHeldSlotPastItsDeadlineAfterARestartIsMissedNotHeldAgain) {
  add(R"({"id": "slow", "run": {"cmd": "sleep 900", "cpus": 1, "mem": 32},
          "schedules": [{"id": "m", "cron": "* * * * *", "concurrencyPolicy": "FORBID",
                         "startingDeadlineSeconds": 30, "catchUp": "ALL"}]})");
  toNextMinute();
  offer();
  update(runs("slow")[0]->tasks[0].taskId, TaskState::RUNNING);
  toNextMinute();  // this slot waits for the active run
  Instant held = *scheduler_->scheduleState("slow", "m")->held;
  advance(4);
  open();  // restarted: the held slot is found again from the cursor
  EXPECT_EQ(scheduler_->scheduleState("slow", "m")->held, held);
  advance(40);  // past its deadline, counted from now rather than from the restart
  const ScheduleState* st = scheduler_->scheduleState("slow", "m");
  EXPECT_FALSE(st->held) << "held again past its deadline (and fired over and over)";
  ASSERT_TRUE(st->lastMissed);
  EXPECT_EQ(*st->lastMissed, held);
  EXPECT_GT(*scheduler_->nextSlot("slow", "m"), held);
  EXPECT_EQ(runs("slow").size(), 1u);
}

TEST_F(JobSchedulerTest, AHeldSlotRunsOnceTheStoppedRunsTaskHasEnded) {
  add(R"({"id": "slow", "run": {"cmd": "sleep 900", "cpus": 1, "mem": 32},
          "schedules": [{"id": "m", "cron": "* * * * *", "concurrencyPolicy": "FORBID", "startingDeadlineSeconds": 50}]})");
  toNextMinute();
  offer();
  std::string task = runs("slow")[0]->tasks[0].taskId;
  update(task, TaskState::RUNNING);
  toNextMinute();
  ASSERT_TRUE(scheduler_->scheduleState("slow", "m")->held);
  ASSERT_EQ(scheduler_->stopRun("slow", runs("slow")[0]->id).status, 200);
  run();
  EXPECT_EQ(runs("slow").size(), 1u) << "FORBID: the stopped run's task still lives";
  update(task, TaskState::KILLED);
  EXPECT_EQ(runs("slow").size(), 2u) << "the held slot was not looked at again when the task ended";
}

TEST_F(JobSchedulerTest, KillsOfAnEndedRunGoAgainOnANewSubscription) {
  scheduler_->registered(*driver_, "fw-1", false);
  add(R"({"id": "long", "run": {"cmd": "sleep 900", "cpus": 1, "mem": 32}})");
  std::string task = running("long");
  ASSERT_EQ(scheduler_->stopRun("long", runs("long")[0]->id).status, 200);
  run();
  EXPECT_EQ(kills(), 1);
  run();
  EXPECT_EQ(kills(), 1) << "a kill is sent once per subscription";
  scheduler_->registered(*driver_, "fw-1", true);  // the master failed over: the kill may be lost
  run();
  EXPECT_EQ(kills(), 2);
  update(task, TaskState::KILLED);
  EXPECT_EQ(scheduler_->activeRunCount(), 0u);
}

TEST_F(JobSchedulerTest, ATaskBackAfterItWasGivenUpIsKilledIfItsIndexMovedOnAndCountedOnce) {
  scheduler_->registered(*driver_, "fw-1", false);
  add(R"({"id": "r", "run": {"cmd": "sleep 900", "cpus": 1, "mem": 32, "restart": {"policy": "ON_FAILURE",
          "maxRetries": 5, "backoffSeconds": 1}}})");
  std::string first = running("r");
  update(first, TaskState::UNKNOWN);  // given up: a failure, retried
  EXPECT_EQ(runs("r")[0]->failures, 1u);
  advance(2);
  offer();
  ASSERT_EQ(runs("r")[0]->tasks.size(), 2u);
  update(first, TaskState::RUNNING);  // its agent came back after all
  EXPECT_EQ(kills(), 1) << "two live tasks for one index";
  update(first, TaskState::KILLED);
  EXPECT_EQ(runs("r")[0]->failures, 1u) << "its end was counted twice";
  EXPECT_EQ(runs("r")[0]->status, RunStatus::kActive);
}

TEST_F(JobSchedulerTest, ATaskBackAfterItWasGivenUpIsAdoptedIfNothingReplacedIt) {
  add(R"({"id": "r", "run": {"cmd": "sleep 900", "cpus": 1, "mem": 32, "restart": {"policy": "ON_FAILURE",
          "maxRetries": 5, "backoffSeconds": 30}}})");
  std::string first = running("r");
  update(first, TaskState::UNKNOWN);
  update(first, TaskState::RUNNING);  // back within the backoff
  EXPECT_EQ(runs("r")[0]->failures, 0u);
  advance(31);
  offer();
  EXPECT_EQ(runs("r")[0]->tasks.size(), 1u) << "launched a second task beside the adopted one";
  update(first, TaskState::FINISHED, 0);
  EXPECT_EQ(runs("r")[0]->status, RunStatus::kSuccess);
}

TEST_F(JobSchedulerTest, ALaunchOnOffersNoLongerValidIsLaunchedAgainNotFailed) {
  add(R"({"id": "e", "run": {"cmd": "true", "cpus": 1, "mem": 32}})");
  (void)scheduler_->startRun("e");
  run();
  offer();
  update(runs("e")[0]->tasks[0].taskId, TaskState::ERROR, std::nullopt, TaskReason::INVALID_OFFERS);
  EXPECT_FALSE(runs("e")[0]->ended());
  offer();
  EXPECT_EQ(runs("e")[0]->tasks.size(), 2u);
  EXPECT_EQ(runs("e")[0]->failures, 0u);
}

TEST_F(JobSchedulerTest, ASuspendedScheduleWaitsOutsideTheClocksQueue) {
  add(kMinutely);
  EXPECT_EQ(scheduler_->dueQueueSize(), 1u);
  ASSERT_EQ(scheduler_->setEnabled("tick", false).status, 200);
  run();
  EXPECT_EQ(scheduler_->dueQueueSize(), 0u) << "a suspended slot would hold offers for nothing";
  toNextMinute();
  EXPECT_TRUE(runs("tick").empty());
  ASSERT_EQ(scheduler_->setEnabled("tick", true).status, 200);
  run();
  EXPECT_EQ(scheduler_->dueQueueSize(), 1u);
  EXPECT_TRUE(runs("tick").empty()) << "resumed: the paused slots are not caught up";
  toNextMinute();
  EXPECT_EQ(runs("tick").size(), 1u);
}

TEST_F(JobSchedulerTest, AFailedRunMarkedSuccessfulIsCountedOnceAsASuccess) {
  add(R"({"id": "f", "run": {"cmd": "false", "cpus": 1, "mem": 32}})");
  (void)scheduler_->startRun("f");
  run();
  offer();
  update(runs("f")[0]->tasks[0].taskId, TaskState::FAILED, 1);
  EXPECT_EQ(scheduler_->stats("f").failureCount, 1u);
  ASSERT_EQ(scheduler_->markSuccess("f", runs("f")[0]->id).status, 200);
  run();
  EXPECT_EQ(scheduler_->stats("f").failureCount, 0u);
  EXPECT_EQ(scheduler_->stats("f").successCount, 1u);
}

}  // namespace
}  // namespace agora::batch
