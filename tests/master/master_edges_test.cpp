// The master at its edges: what it promises frameworks when agents go away and come back,
// when schedulers restart, and when peers send what they must not. An in-process master on
// a manual clock (tests/support/in_process_master.hpp); each test failed before its fix.
#include <thread>

#include "tests/support/in_process_master.hpp"

namespace agora::testing {
namespace {

class MasterEdgesTest : public InProcessMasterTest {
 protected:
  // The master pings in ten turns per interval: the clock moves a turn at a time.
  static constexpr Duration kPingTick = std::chrono::milliseconds(100);

  MasterEdgesTest() {
    options.pingInterval = std::chrono::seconds(1);
    options.maxMissedPings = 3;
    options.agentRemovalTimeout = std::chrono::seconds(3);
  }

  // The agent says nothing while the clock passes its ping deadline: it becomes unreachable.
  void agentGoesSilent() {
    advanceInSteps(std::chrono::seconds(4), kPingTick);
    ASSERT_TRUE(pump([&] { return hasUpdate("t1", TaskState::UNREACHABLE); }));
  }

  // t1 runs on the agent, which then stays silent until it is removed and t1 is GONE.
  void agentIsRemovedWithItsRunningTask() {
  launchOn(startAndGetOffer(), "t1");
  sendStatus(*agent, "t1", TaskState::RUNNING);
  ASSERT_TRUE(pump([&] { return hasUpdate("t1", TaskState::RUNNING); }));
  agentGoesSilent();
  advanceInSteps(std::chrono::seconds(4), kPingTick);
  ASSERT_TRUE(pump([&] { return hasUpdate("t1", TaskState::GONE); }));
  }

  bool hasUpdate(const std::string& taskId, TaskState state) {
    for (const TaskStatus& s : framework->updates())
      if (s.taskId == taskId && s.state == state) return true;
    return false;
  }

  std::string taskState(const std::string& taskId) {
    nlohmann::json now = state();
    for (const auto& t : now["tasks"])
      if (t["id"] == taskId) return t["state"];
    return "";
  }

  TaskInfo sleeper(const std::string& id) {
    TaskInfo t;
    t.taskId = id;
    t.resources = *Resources::parse("cpus:1;mem:128");
    t.command.value = "sleep 600";
    return t;
  }
};

// Mesos' FAILURE (slaveLost): once its tasks are GONE, the framework hears the agent is lost.
TEST_F(MasterEdgesTest, FrameworksHearOfARemovedAgentAfterItsTasksAreGone) {
  ASSERT_NO_FATAL_FAILURE(agentIsRemovedWithItsRunningTask());
  ASSERT_TRUE(pump([&] { return framework->find(proto::Envelope::AGENT_LOST) >= 0; }));
  int lost = framework->find(proto::Envelope::AGENT_LOST);
  EXPECT_EQ(std::string(framework->at(lost).getAgentLost().getAgentId().cStr()), agentId);
  int gone = -1;
  for (size_t i = 0; i < framework->count(); ++i)
    if (framework->at(i).isUpdate() && framework->at(i).getUpdate().getStatus().getState() == proto::TaskState::GONE)
      gone = static_cast<int>(i);
  EXPECT_GE(gone, 0);
  EXPECT_LT(gone, lost) << "the agent was reported lost before its task was GONE";
  EXPECT_EQ(framework->find(proto::Envelope::AGENT_LOST, lost + 1), -1) << "reported lost twice";
}

TEST_F(MasterEdgesTest, ARemovedAgentThatComesBackIsRefusedAndItsTaskNeverRunsAgain) {
  ASSERT_NO_FATAL_FAILURE(agentIsRemovedWithItsRunningTask());
  size_t updatesAtGone = framework->updates().size();

  // The agent wakes up and comes back with its id and its task still running.
  size_t before = agent->count();
  EXPECT_EQ(registerAgent(*agent, agentId, {{sleeper("t1"), TaskState::RUNNING}}), "");
  ASSERT_GE(agent->find(proto::Envelope::AGENT_REMOVED, before), 0) << "the removed agent was not refused";
  roundTrip(*framework);
  EXPECT_EQ(framework->updates().size(), updatesAtGone) << "the framework heard of its GONE task again";
  EXPECT_NE(taskState("t1"), "TASK_RUNNING");
  EXPECT_EQ(metrics()["counters"]["agents_refused_removed"], 1);

  // Remembered across a master restart too.
  startMaster();
  before = agent->count();
  EXPECT_EQ(registerAgent(*agent, agentId, {{sleeper("t1"), TaskState::RUNNING}}), "");
  EXPECT_GE(agent->find(proto::Envelope::AGENT_REMOVED, before), 0);

  // As a new agent (no id) it is welcome.
  EXPECT_NE(registerAgent(*agent), "");
}

// Removed agents are not remembered for ever (the registry would only grow): past the
// maximum age the id is forgotten, in memory and in the registry, as Mesos does.
class ForgettingMasterTest : public MasterEdgesTest {
 protected:
  ForgettingMasterTest() { options.removedAgentsMaxAge = std::chrono::hours(1); }
};

TEST_F(ForgettingMasterTest, ARemovedAgentIsForgottenPastTheMaximumAge) {
  ASSERT_NO_FATAL_FAILURE(agentIsRemovedWithItsRunningTask());
  clock.advance(std::chrono::minutes(59));
  startMaster();
  EXPECT_EQ(registerAgent(*agent, agentId), "") << "forgotten before its time";

  clock.advance(std::chrono::minutes(2));
  startMaster();
  EXPECT_EQ(metrics()["counters"]["removed_agents_forgotten"], 1);
  EXPECT_EQ(registerAgent(*agent, agentId), agentId);
  startMaster();  // and the registry forgot it too
  EXPECT_EQ(metrics()["counters"].value("removed_agents_forgotten", 0), 0);
  EXPECT_EQ(registerAgent(*agent, agentId), agentId);
}

// Under load the master reads behind what has arrived: an agent's pong may wait unread while
// its deadline passes. It used to be taken for dead then; the check waits until the master
// has caught up.
TEST_F(MasterEdgesTest, ABusyMasterDoesNotTakeAnAgentWhosePongWaitsUnreadForDead) {
  startAndGetOffer();
  advanceInSteps(std::chrono::milliseconds(2900), kPingTick);  // the agent says nothing
  OutboundEnvelope pong;
  pong.get().initPong().setSequence(1);
  agent->send(pong);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!master->behind() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  ASSERT_TRUE(master->behind()) << "the pong never reached the master's socket";
  advance(std::chrono::milliseconds(200));  // past the deadline, with the pong still unread
  roundTrip(*framework);
  EXPECT_EQ(state()["agents"][0]["state"], "active");
  EXPECT_GE(metrics()["counters"].value("liveness_checks_deferred", 0), 1);
  for (const TaskStatus& s : framework->updates()) EXPECT_NE(s.state, TaskState::UNREACHABLE);
}

// A master that stays behind still finds an agent that is gone: after one more deadline.
TEST_F(MasterEdgesTest, AMasterThatStaysBehindStillFindsADeadAgent) {
  startAndGetOffer();
  OutboundEnvelope pong;
  pong.get().initPong().setSequence(1);
  auto keepBehindAndAdvance = [&](Duration total) {
    for (Duration done{}; done < total; done += kPingTick) {
      framework->send(pong);  // input the master has not read when its timers run
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (!master->behind() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
      advance(kPingTick);
    }
    roundTrip(*framework);
  };
  keepBehindAndAdvance(std::chrono::milliseconds(4000));  // past one deadline (3 s)
  EXPECT_EQ(state()["agents"][0]["state"], "active") << "judged while the master was behind";
  keepBehindAndAdvance(std::chrono::milliseconds(3000));  // past the second
  EXPECT_EQ(state()["agents"][0]["state"], "unreachable");
}

TEST_F(MasterEdgesTest, ASubscriptionRetriedOnItsConnectionKeepsItsOffers) {
  startAndGetOffer();
  EXPECT_EQ(subscribe(*framework, frameworkId), frameworkId);
  roundTrip(*framework);
  EXPECT_EQ(framework->find(proto::Envelope::RESCIND), -1) << "a retried subscription lost its offers";
}

// Task events are written as JSON text by hand (for speed): whatever a name holds, each is
// JSON that parses back to what was given.
TEST_F(MasterEdgesTest, TaskEventsAreJsonWhateverTheirTextHolds) {
  ApiReply stream = master->handleApi(parseApiTarget("GET", "/api/v1/events", ""));
  ASSERT_TRUE(stream.stream);
  const std::string name = "quote \" backslash \\ newline \n tab \t bell \x07 é";
  launchOn(startAndGetOffer(), "t1", name);
  sendStatus(*agent, "t1", TaskState::RUNNING);
  ASSERT_TRUE(pump([&] { return hasUpdate("t1", TaskState::RUNNING); }));
  std::string text;
  while (auto chunk = stream.stream->next(std::chrono::milliseconds(0))) text += *chunk;
  std::vector<nlohmann::json> events;
  for (size_t at = 0; (at = text.find("data: ", at)) != std::string::npos;) {
    size_t end = text.find('\n', at);
    events.push_back(nlohmann::json::parse(text.substr(at + 6, end - at - 6)));
    at = end;
  }
  bool added = false, running = false;
  for (const nlohmann::json& e : events) {
    if (e["type"] == "TASK_ADDED") {
      added = true;
      EXPECT_EQ(e["task"]["name"], name);
      EXPECT_EQ(e["task"]["resources"]["cpus"], 1);
      EXPECT_EQ(e["task"]["status"]["state"], "TASK_STAGING");
    }
    if (e["type"] == "TASK_UPDATED" && e["state"] == "TASK_RUNNING") {
      running = true;
      EXPECT_EQ(e["task_id"], "t1");
      EXPECT_TRUE(e["status"]["timestamp"].is_number());
    }
  }
  EXPECT_TRUE(added) << text;
  EXPECT_TRUE(running) << text;
}

// A driver whose master was away queued a subscription every retry; they arrive together.
TEST_F(MasterEdgesTest, SubscriptionsQueuedWhileTheMasterWasAwayAreOneSubscription) {
  auto peer = newPeer();
  FrameworkInfo fw;
  fw.name = "queued";
  OutboundEnvelope sub;
  codec::write(fw, sub.get().initSubscribe().initFramework());
  uint64_t writesBefore = metrics()["counters"]["registry_writes"];
  for (int i = 0; i < 50; ++i) peer->send(sub);
  ASSERT_TRUE(pump([&] { return metrics()["counters"].value("subscriptions_retried", 0) + 1 >= 50; }));
  ASSERT_TRUE(pump([&] { return peer->find(proto::Envelope::SUBSCRIBED) >= 0; }));
  EXPECT_EQ(metrics()["counters"]["registry_writes"].get<uint64_t>() - writesBefore, 1u);
  EXPECT_EQ(state()["frameworks"].size(), 1u);
}

TEST_F(MasterEdgesTest, AFrameworkThatSubscribesAgainIsOfferedWhatItHeld) {
  std::string held = startAndGetOffer();
  // The scheduler restarts with its framework id, on a new connection, long before the
  // offer timeout: what it was offered is offered again.
  auto restarted = newPeer();
  restarted->answerPings = true;
  EXPECT_EQ(subscribe(*restarted, frameworkId), frameworkId);
  std::string again = nextOffer(*restarted);
  EXPECT_NE(again, held);
  auto offer = restarted->at(restarted->find(proto::Envelope::OFFERS)).getOffers().getOffers()[0];
  EXPECT_EQ(*codec::read(offer.getResources()), *Resources::parse("cpus:4;mem:1024"));
}

TEST_F(MasterEdgesTest, OffersTimeOutAfterSixtySecondsByDefault) {
  EXPECT_EQ(MasterOptions().offerTimeout, std::chrono::seconds(60));
  agent->answerPings = true;
  std::string offerId = startAndGetOffer();
  advanceInSteps(std::chrono::seconds(59), kPingTick);
  EXPECT_EQ(framework->find(proto::Envelope::RESCIND), -1) << "rescinded before the timeout";
  advanceInSteps(std::chrono::seconds(2), kPingTick);
  ASSERT_TRUE(pump([&] { return framework->find(proto::Envelope::RESCIND) >= 0; }));
  EXPECT_EQ(std::string(framework->at(framework->find(proto::Envelope::RESCIND)).getRescind().getOfferId().cStr()),
            offerId);
}

TEST_F(MasterEdgesTest, AKillWhileTheAgentIsAwayIsSentWhenItReturns) {
  launchOn(startAndGetOffer(), "t1");
  sendStatus(*agent, "t1", TaskState::RUNNING);
  ASSERT_TRUE(pump([&] { return hasUpdate("t1", TaskState::RUNNING); }));
  agentGoesSilent();

  OutboundEnvelope kill;
  kill.get().initKill().setTaskId("t1");
  framework->send(kill);
  roundTrip(*framework);
  roundTrip(*agent);
  EXPECT_EQ(agent->find(proto::Envelope::KILL_TASK), -1);

  size_t before = agent->count();
  EXPECT_EQ(registerAgent(*agent, agentId, {{sleeper("t1"), TaskState::RUNNING}}), agentId);
  ASSERT_TRUE(pump([&] { return agent->find(proto::Envelope::KILL_TASK, before) >= 0; }));
  auto k = agent->at(agent->find(proto::Envelope::KILL_TASK, before)).getKillTask();
  EXPECT_EQ(std::string(k.getTaskId().cStr()), "t1");
  EXPECT_EQ(k.getReason(), proto::TaskReason::KILLED_BY_FRAMEWORK);
  // The agent's answer reaches the framework.
  sendStatus(*agent, "t1", TaskState::KILLED, "u-killed");
  ASSERT_TRUE(pump([&] { return hasUpdate("t1", TaskState::KILLED); }));
}

TEST_F(MasterEdgesTest, AnUpdateFromAnAgentThatDoesNotRunTheTaskIsDroppedAndCounted) {
  launchOn(startAndGetOffer(), "t1");
  auto other = newPeer();
  ASSERT_NE(registerAgent(*other), "");
  sendStatus(*other, "t1", TaskState::FINISHED);
  roundTrip(*other);
  roundTrip(*framework);
  EXPECT_FALSE(hasUpdate("t1", TaskState::FINISHED));
  EXPECT_EQ(taskState("t1"), "TASK_STAGING");
  EXPECT_EQ(metrics()["counters"]["status_updates_wrong_agent"], 1);
  // Its own agent is still heard.
  sendStatus(*agent, "t1", TaskState::RUNNING);
  ASSERT_TRUE(pump([&] { return hasUpdate("t1", TaskState::RUNNING); }));
}

TEST_F(MasterEdgesTest, TextThatIsNotUtf8IsRefusedWhereItEntersAndTheStateStillServes) {
  auto bad = newPeer();
  size_t before = bad->count();
  EXPECT_EQ(subscribe(*bad, "", "bad\xffname"), "");
  ASSERT_GE(bad->find(proto::Envelope::ERROR, before), 0);
  EXPECT_EQ(std::string(bad->at(bad->find(proto::Envelope::ERROR, before)).getError().getMessage().cStr()),
            "subscription refused: framework name is not UTF-8 text (byte 0xff at offset 3)");

  launchOn(startAndGetOffer(), "t1", "bad\xffname");
  ASSERT_TRUE(pump([&] { return hasUpdate("t1", TaskState::ERROR); }));
  for (const TaskStatus& s : framework->updates()) {
    if (s.state != TaskState::ERROR) continue;
    EXPECT_EQ(s.message, "task 't1' name is not UTF-8 text (byte 0xff at offset 3)");
  }
  ApiReply reply = master->handleApi(parseApiTarget("GET", "/api/v1/state", ""));
  EXPECT_EQ(reply.status, 200) << reply.body;
}

TEST_F(MasterEdgesTest, AHugeResourceListIsRefusedAtOnce) {
  OutboundEnvelope reg;
  auto list = reg.get().initRegisterAgent().initAgent().initResources(200000);
  for (unsigned i = 0; i < list.size(); ++i) {
    list[i].setName("r" + std::to_string(i));
    list[i].setScalar(1000);
  }
  size_t before = agent->count();
  agent->send(reg);
  ASSERT_TRUE(pump([&] { return agent->find(proto::Envelope::ERROR, before) >= 0; }));
  EXPECT_EQ(std::string(agent->at(agent->find(proto::Envelope::ERROR, before)).getError().getMessage().cStr()),
            "agent registration refused: resource list has 200000 entries; the limit is 1024");
  EXPECT_EQ(master->handleApi(parseApiTarget("GET", "/health", "")).status, 200);
  EXPECT_TRUE(state()["agents"].empty());
}

}  // namespace
}  // namespace agora::testing
