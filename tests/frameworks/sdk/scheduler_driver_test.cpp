// The scheduler driver on a framework's own loop, against an in-process master, both on one
// ManualClock: subscription, re-subscription after a master restart, offers recovered after
// a scheduler restart, explicit acknowledgements, reconciliation and the staging timeout.
// The agent is a ZeroMQ peer the test speaks for.
#include <filesystem>
#include <set>
#include <thread>

#include "frameworks/sdk/framework_id_file.hpp"
#include "frameworks/sdk/scheduler.hpp"
#include "tests/support/in_process_master.hpp"

namespace agora::testing {
namespace {

class Recorder : public sdk::Scheduler {
 public:
  void registered(sdk::SchedulerDriver& driver, const std::string& id, bool reregistered) override {
    ++registrations;
    lastId = id;
    lastReregistered = reregistered;
    if (onRegistered) onRegistered(driver);
  }
  void resourceOffers(sdk::SchedulerDriver& driver, const std::vector<Offer>& received) override {
    offers.insert(offers.end(), received.begin(), received.end());
    if (onOffers) onOffers(driver, received);
  }
  void offerRescinded(sdk::SchedulerDriver&, const std::string& id) override { rescinded.push_back(id); }
  void statusUpdate(sdk::SchedulerDriver&, const TaskStatus& status) override { updates.push_back(status); }
  std::vector<std::string> knownTaskIds() override { return known; }

  bool has(const std::string& taskId, TaskState state) const {
    for (const auto& u : updates)
      if (u.taskId == taskId && u.state == state) return true;
    return false;
  }

  int registrations = 0;
  std::string lastId;
  bool lastReregistered = false;
  std::vector<Offer> offers;
  std::vector<std::string> rescinded;
  std::vector<TaskStatus> updates;
  std::vector<std::string> known;
  std::function<void(sdk::SchedulerDriver&, const std::vector<Offer>&)> onOffers;
  std::function<void(sdk::SchedulerDriver&)> onRegistered;
};

class SchedulerDriverTest : public InProcessMasterTest {
 protected:
  SchedulerDriverTest() {
    options.pingInterval = std::chrono::seconds(1);
    options.maxMissedPings = 3;
    otherLoops.push_back(&frameworkLoop);
  }

  void SetUp() override {
    InProcessMasterTest::SetUp();
    agent->answerPings = true;
    agentId = registerAgent(*agent);
    ASSERT_FALSE(agentId.empty());
  }

  // A driver on the framework's loop, started.
  std::unique_ptr<sdk::SchedulerDriver> startDriver(Recorder& scheduler, const std::string& id = "",
                                                    sdk::DriverOptions driverOptions = {}) {
    FrameworkInfo info;
    info.name = "sdk-test";
    info.id = id;
    auto driver = std::make_unique<sdk::SchedulerDriver>(scheduler, info, endpoint, frameworkLoop, driverOptions);
    Status started = driver->start();
    EXPECT_TRUE(started.ok()) << started.error();
    return driver;
  }

  // Moves the clock a ping turn at a time, so that both sides hear each other's pings.
  void pass(Duration total) {
    for (Duration done{}; done < total; done += std::chrono::milliseconds(100)) {
      advance(std::chrono::milliseconds(100));
      roundTrip(*agent);
    }
  }

  static TaskInfo sleeper(const std::string& id) {
    TaskInfo t;
    t.taskId = id;
    t.resources = *Resources::parse("cpus:1;mem:128");
    t.command.value = "sleep 600";
    return t;
  }

  // The agent reports `state` (with `uuid`) for `taskId` of framework `fwId`.
  void report(const std::string& fwId, const std::string& taskId, TaskState state, const std::string& uuid) {
    frameworkId = fwId;
    sendStatus(*agent, taskId, state, uuid);
  }

  int acknowledgements(const std::string& uuid) {
    int n = 0;
    for (size_t i = 0; i < agent->count(); ++i)
      if (agent->at(i).isStatusAcknowledgement() && agent->at(i).getStatusAcknowledgement().getUuid() == uuid) ++n;
    return n;
  }

  // Launches t1 through `driver` on its first offer; waits until the agent is told to run it.
  void launchFirst(Recorder& scheduler, sdk::SchedulerDriver& driver) {
    ASSERT_TRUE(pump([&] { return !scheduler.offers.empty(); }));
    size_t before = agent->count();
    driver.launchTasks({scheduler.offers.front().id}, {sleeper("t1")});
    ASSERT_TRUE(pump([&] { return agent->find(proto::Envelope::RUN_TASK, before) >= 0; }));
  }

  EventLoop frameworkLoop{clock};
};

TEST_F(SchedulerDriverTest, SubscribesKeepsItsIdAndIsOffered) {
  std::string idFile = dir.path() + "/framework-id";
  Recorder scheduler;
  sdk::DriverOptions driverOptions;
  driverOptions.frameworkIdFile = idFile;
  auto driver = startDriver(scheduler, "", driverOptions);
  ASSERT_TRUE(pump([&] { return scheduler.registrations == 1 && !scheduler.offers.empty(); }));
  EXPECT_FALSE(scheduler.lastReregistered);
  EXPECT_EQ(driver->frameworkId(), scheduler.lastId);
  EXPECT_EQ(scheduler.offers.front().agentId, agentId);
  // Kept before registered() ran; a restarted framework subscribes as itself.
  EXPECT_EQ(*sdk::FrameworkIdFile(idFile).load().get(), scheduler.lastId);
  driver.reset();
  Recorder again;
  auto restarted = startDriver(again, "", driverOptions);
  ASSERT_TRUE(pump([&] { return again.registrations == 1; }));
  EXPECT_EQ(again.lastId, scheduler.lastId);
  EXPECT_TRUE(again.lastReregistered);
}

TEST_F(SchedulerDriverTest, SubscribesAgainWithItsIdAfterAMasterRestart) {
  Recorder scheduler;
  auto driver = startDriver(scheduler);
  ASSERT_TRUE(pump([&] { return scheduler.registrations == 1; }));
  std::string id = scheduler.lastId;

  startMaster();  // the registry keeps the framework; the driver hears no more pings
  agent->answerPings = true;
  ASSERT_EQ(registerAgent(*agent, agentId), agentId);
  pass(std::chrono::seconds(4));
  ASSERT_TRUE(pump([&] { return scheduler.registrations == 2; }));
  EXPECT_EQ(scheduler.lastId, id);
  EXPECT_TRUE(scheduler.lastReregistered);
  EXPECT_TRUE(pump([&] { return !scheduler.offers.empty(); }));
}

TEST_F(SchedulerDriverTest, ARestartedSchedulerIsOfferedWhatItHeld) {
  Recorder scheduler;
  auto driver = startDriver(scheduler);
  ASSERT_TRUE(pump([&] { return !scheduler.offers.empty(); }));  // held, never answered
  std::string id = scheduler.lastId, held = scheduler.offers.front().id;
  driver.reset();  // the scheduler dies; its connection is not noticed yet

  Recorder restarted;
  auto again = startDriver(restarted, id);
  ASSERT_TRUE(pump([&] { return !restarted.offers.empty(); })) << "the held offer was not offered again";
  EXPECT_NE(restarted.offers.front().id, held);
  EXPECT_EQ(restarted.offers.front().resources, *Resources::parse("cpus:4;mem:1024"));
}

TEST_F(SchedulerDriverTest, UpdatesAreAcknowledgedWhenTheCallbackReturnsByDefault) {
  Recorder scheduler;
  auto driver = startDriver(scheduler);
  launchFirst(scheduler, *driver);
  report(scheduler.lastId, "t1", TaskState::RUNNING, "u1");
  ASSERT_TRUE(pump([&] { return acknowledgements("u1") == 1; }));
  // A resend (the acknowledgement was late) is acknowledged again, not delivered again.
  report(scheduler.lastId, "t1", TaskState::RUNNING, "u1");
  ASSERT_TRUE(pump([&] { return acknowledgements("u1") == 2; }));
  int running = 0;
  for (const auto& u : scheduler.updates) running += u.state == TaskState::RUNNING && !u.uuid.empty();
  EXPECT_EQ(running, 1);
}

TEST_F(SchedulerDriverTest, AnUpdateNotYetAcknowledgedIsDeliveredAgainAfterAFrameworkRestart) {
  sdk::DriverOptions explicitAcks;
  explicitAcks.explicitAcknowledgements = true;
  Recorder scheduler;
  auto driver = startDriver(scheduler, "", explicitAcks);
  launchFirst(scheduler, *driver);
  std::string id = scheduler.lastId;
  report(id, "t1", TaskState::RUNNING, "u1");
  ASSERT_TRUE(pump([&] { return scheduler.has("t1", TaskState::RUNNING); }));
  roundTrip(*agent);
  EXPECT_EQ(acknowledgements("u1"), 0) << "acknowledged before the framework said so";

  driver.reset();  // it crashed before it persisted the update
  Recorder restarted;
  auto again = startDriver(restarted, id, explicitAcks);
  ASSERT_TRUE(pump([&] { return restarted.registrations == 1; }));
  report(id, "t1", TaskState::RUNNING, "u1");  // the agent resends what nobody acknowledged
  ASSERT_TRUE(pump([&] {
    for (const auto& u : restarted.updates)
      if (u.uuid == "u1") return true;
    return false;
  }));
  for (const auto& u : restarted.updates)
    if (u.uuid == "u1") again->acknowledge(u);
  ASSERT_TRUE(pump([&] { return acknowledgements("u1") == 1; }));
}

TEST_F(SchedulerDriverTest, ReconcilesTheTasksItNamesThenAllAfterSubscribing) {
  Recorder scheduler;
  auto driver = startDriver(scheduler);
  launchFirst(scheduler, *driver);
  std::string id = scheduler.lastId;
  driver.reset();

  Recorder restarted;
  restarted.known = {"t1", "ghost"};
  auto again = startDriver(restarted, id);
  ASSERT_TRUE(pump([&] { return restarted.has("ghost", TaskState::UNKNOWN); }));
  ASSERT_TRUE(pump([&] {
    int t1 = 0;
    for (const auto& u : restarted.updates) t1 += u.taskId == "t1" && u.state == TaskState::STAGING;
    return t1 == 2;  // once explicitly, once implicitly
  }));
  for (const auto& u : restarted.updates) {
    EXPECT_EQ(u.reason, TaskReason::RECONCILIATION) << u.taskId;
    EXPECT_TRUE(u.uuid.empty()) << "reconciliation answers need no acknowledgement";
  }
}

// A scheduler may stop its driver from a callback: the socket the callback came from goes
// while it is being read (ASan checks that nothing touches it after).
TEST_F(SchedulerDriverTest, AStopFromACallbackLeavesTheLoopRunning) {
  Recorder scheduler;
  scheduler.onRegistered = [](sdk::SchedulerDriver& driver) { driver.stop(); };
  auto driver = startDriver(scheduler);
  ASSERT_TRUE(pump([&] { return scheduler.registrations == 1; }));
  pass(std::chrono::seconds(2));
  EXPECT_FALSE(driver->connected());
  EXPECT_TRUE(scheduler.offers.empty());
  driver.reset();
  pass(std::chrono::seconds(1));
}

TEST_F(SchedulerDriverTest, ALaunchThatNeverStartsIsKilledAtTheStagingTimeout) {
  sdk::DriverOptions staging;
  staging.stagingTimeoutSeconds = 30;
  Recorder scheduler;
  auto driver = startDriver(scheduler, "", staging);
  launchFirst(scheduler, *driver);
  pass(std::chrono::seconds(29));
  EXPECT_EQ(agent->find(proto::Envelope::KILL_TASK), -1) << "killed before the staging timeout";
  pass(std::chrono::seconds(2));
  ASSERT_TRUE(pump([&] { return agent->find(proto::Envelope::KILL_TASK) >= 0; }));
  EXPECT_EQ(std::string(agent->at(agent->find(proto::Envelope::KILL_TASK)).getKillTask().getTaskId().cStr()), "t1");
}

TEST_F(SchedulerDriverTest, ATaskThatStartsInTimeIsNotKilled) {
  sdk::DriverOptions staging;
  staging.stagingTimeoutSeconds = 30;
  Recorder scheduler;
  auto driver = startDriver(scheduler, "", staging);
  launchFirst(scheduler, *driver);
  report(scheduler.lastId, "t1", TaskState::STARTING, "u-start");
  ASSERT_TRUE(pump([&] { return scheduler.has("t1", TaskState::STARTING); }));
  pass(std::chrono::seconds(31));
  EXPECT_EQ(agent->find(proto::Envelope::KILL_TASK), -1);
}

// A tool's blocking run() on its own thread, stopped from another: stop() returns only once
// run() has let everything go, so that the caller may destroy the driver right after.
TEST_F(SchedulerDriverTest, AStopFromAnotherThreadWaitsForTheBlockingRun) {
  struct Counting : Recorder {
    void registered(sdk::SchedulerDriver& d, const std::string& id, bool re) override {
      Recorder::registered(d, id, re);
      ++registeredCount;
    }
    std::atomic<int> registeredCount{0};
  } scheduler;
  FrameworkInfo info;
  info.name = "blocking";
  auto driver = std::make_unique<sdk::SchedulerDriver>(scheduler, info, endpoint);
  std::atomic<bool> returned{false};
  std::thread tool([&] {
    Status ran = driver->run();
    EXPECT_TRUE(ran.ok()) << ran.error();
    returned = true;
  });
  ASSERT_TRUE(pump([&] { return scheduler.registeredCount.load() > 0; }));
  driver->stop();
  EXPECT_FALSE(driver->connected()) << "stop() returned before run() had let go";
  driver.reset();  // at once, as a tool does: run() may not touch it any more
  tool.join();
  EXPECT_TRUE(returned);
}

// A master that does not keep up reads ahead only so far from each peer; the framework's
// queue then fills, and each launch that cannot be sent comes back at once as TASK_DROPPED.
// Every launch is accounted for: run, refused by the master, or dropped.
class SaturatedMasterTest : public SchedulerDriverTest {
 protected:
  SaturatedMasterTest() { options.peerQueueMessages = 10; }
};

TEST_F(SaturatedMasterTest, LaunchesThatCannotBeSentComeBackDroppedAndNoneIsLost) {
  sdk::DriverOptions small;
  small.sendQueueMessages = 10;
  Recorder scheduler;
  auto driver = startDriver(scheduler, "", small);
  ASSERT_TRUE(pump([&] { return !scheduler.offers.empty(); }));
  std::string offerId = scheduler.offers.front().id;
  // The master's loop does not run: it is saturated. Launch until the driver says it could
  // not send (loopback's TCP buffers hold some megabytes first).
  int launched = 0;
  auto dropped = [&] {
    for (const TaskStatus& u : scheduler.updates)
      if (u.state == TaskState::DROPPED) return true;
    return false;
  };
  while (!dropped() && launched < 500000) {
    driver->launchTasks({offerId}, {sleeper("d" + std::to_string(launched++))});
    // The framework's loop runs now and then (it delivers the drops); the master's does not.
    if (launched % 100 == 0) frameworkLoop.runOnce(Duration::zero());
  }
  ASSERT_TRUE(dropped()) << "the master read " << launched << " launches ahead without pushing back";
  const TaskStatus& first = [&]() -> const TaskStatus& {
    for (const TaskStatus& u : scheduler.updates)
      if (u.state == TaskState::DROPPED) return u;
    return scheduler.updates.front();
  }();
  EXPECT_EQ(first.reason, TaskReason::MASTER_DISCONNECTED);
  EXPECT_NE(first.message.find("the queue to the master is full"), std::string::npos) << first.message;

  // Caught up, the master refuses the launches it got after the first (their offer is used):
  // with the dropped ones, every launch but the one that runs has its update.
  ASSERT_TRUE(pump([&] {
    std::set<std::string> heard;
    for (const TaskStatus& u : scheduler.updates) heard.insert(u.taskId);
    return heard.size() == static_cast<size_t>(launched - 1) && agent->find(proto::Envelope::RUN_TASK) >= 0;
  })) << scheduler.updates.size() << " updates for " << launched << " launches, and the one that fits "
      << (agent->find(proto::Envelope::RUN_TASK) >= 0 ? "runs" : "does not run");
}

}  // namespace
}  // namespace agora::testing
