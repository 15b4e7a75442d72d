// The registry's writes: off the master's loop, batched, answered in order on the loop, and
// durable in the real RocksDB store before the master acts on them.
#include "master/registry.hpp"

#include <condition_variable>
#include <mutex>

#include <gtest/gtest.h>

#include "tests/support/in_process_master.hpp"

namespace agora::testing {
namespace {

// The real store, whose writes wait while the gate is closed (as behind a slow disk), and
// which can be told to fail them (as a full disk does).
class GatedStore final : public Store {
 public:
  struct Gate {
    std::mutex mutex;
    std::condition_variable opened;
    bool closed = false;
    int waiting = 0;  // writes held at the gate
    bool fail = false;
    void set(bool close) {
      std::lock_guard<std::mutex> lock(mutex);
      closed = close;
      opened.notify_all();
    }
  };

  GatedStore(std::unique_ptr<Store> real, std::shared_ptr<Gate> gate) : real_(std::move(real)), gate_(std::move(gate)) {}

  Try<std::optional<std::string>> get(const std::string& key) const override { return real_->get(key); }
  Try<std::map<std::string, std::string>> scan(const std::string& prefix) const override { return real_->scan(prefix); }
  Status apply(const std::vector<StoreWrite>& batch) override {
    std::unique_lock<std::mutex> lock(gate_->mutex);
    ++gate_->waiting;
    gate_->opened.wait(lock, [this] { return !gate_->closed; });
    --gate_->waiting;
    if (gate_->fail) return Error("No space left on device");
    lock.unlock();
    return real_->apply(batch);
  }
  Try<bool> compareAndApply(const std::string& key, const std::optional<std::string>& expected,
                            const std::vector<StoreWrite>& batch) override {
    return real_->compareAndApply(key, expected, batch);
  }

 private:
  std::unique_ptr<Store> real_;
  std::shared_ptr<Gate> gate_;
};

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = openRocksDbStore(dir.path() + "/registry");
    ASSERT_TRUE(store.ok()) << store.error();
    registry = std::make_unique<Registry>(loop, std::make_unique<GatedStore>(std::move(*store), gate));
  }

  bool pump(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      loop.runOnce(std::chrono::milliseconds(1));
    }
    return true;
  }

  bool waitHeld(int n) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(gate->mutex);
        if (gate->waiting >= n) return true;
      }
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::yield();
    }
  }

  static AgentInfo agentInfo(int i) {
    AgentInfo a;
    a.id = "agent-" + std::to_string(i);
    a.hostname = "host-" + std::to_string(i);
    a.resources = *Resources::parse("cpus:4;mem:1024");
    return a;
  }

  TempDir dir{"agora-registry-test"};
  ManualClock clock;
  EventLoop loop{clock};
  std::shared_ptr<GatedStore::Gate> gate = std::make_shared<GatedStore::Gate>();
  std::unique_ptr<Registry> registry;
};

TEST_F(RegistryTest, WritesQueuedBehindOneAreOneBatchAnsweredInOrderOnTheLoop) {
  gate->set(true);
  std::vector<int> answered;
  registry->putAgent(agentInfo(0), [&](const Status& s) {
    EXPECT_TRUE(s.ok()) << s.error();
    answered.push_back(0);
  });
  ASSERT_TRUE(waitHeld(1)) << "the first write never reached the store";
  for (int i = 1; i <= 1000; ++i)
    registry->putAgent(agentInfo(i), [&answered, i](const Status& s) {
      EXPECT_TRUE(s.ok()) << s.error();
      answered.push_back(i);
    });
  loop.runOnce(std::chrono::milliseconds(5));
  EXPECT_TRUE(answered.empty()) << "answered before the store had written anything";
  gate->set(false);
  ASSERT_TRUE(pump([&] { return answered.size() == 1001; }));
  for (int i = 0; i <= 1000; ++i) ASSERT_EQ(answered[static_cast<size_t>(i)], i) << "answers out of order";
  RegistryCounters c = registry->counters();
  EXPECT_EQ(c.writes, 1001u);
  EXPECT_EQ(c.batches, 2u) << "the thousand writes that waited behind the first are one batch";
  EXPECT_EQ(c.largestBatch, 1000u);
  EXPECT_EQ(registry->inFlight(), 0u);

  // Durable: a registry opened again on the same directory has them all.
  registry.reset();
  auto store = openRocksDbStore(dir.path() + "/registry");
  ASSERT_TRUE(store.ok()) << store.error();
  Registry again(loop, std::move(*store));
  Try<RegistryState> state = again.load();
  ASSERT_TRUE(state.ok()) << state.error();
  EXPECT_EQ(state->agents.size(), 1001u);
  EXPECT_EQ(state->agents.at("agent-7").hostname, "host-7");
}

TEST_F(RegistryTest, AFailedWriteIsAnsweredWithItsErrorAndCounted) {
  gate->fail = true;
  std::optional<Status> answer;
  registry->putFramework(FrameworkInfo{}, [&](const Status& s) { answer = s; });
  ASSERT_TRUE(pump([&] { return answer.has_value(); }));
  ASSERT_FALSE(answer->ok());
  EXPECT_EQ(answer->error(), "No space left on device");
  EXPECT_EQ(registry->counters().failed, 1u);
}

TEST_F(RegistryTest, ARemovedAgentIsRememberedAndNoLongerAdmitted) {
  int done = 0;
  auto count = [&](const Status& s) {
    EXPECT_TRUE(s.ok()) << s.error();
    ++done;
  };
  registry->putAgent(agentInfo(1), count);
  registry->putAgent(agentInfo(2), count);
  registry->removeAgent("agent-1", 1234.5, count);
  registry->putDrain("agent-2", 99, count);
  registry->putReservations("agent-2", *Resources::parse("cpus(eng):1"), count);
  ASSERT_TRUE(pump([&] { return done == 5; }));
  EXPECT_TRUE(registry->putReservationsNow("agent-2", *Resources::parse("cpus(eng):2")).ok());
  Try<RegistryState> state = registry->load();
  ASSERT_TRUE(state.ok()) << state.error();
  EXPECT_EQ(state->agents.count("agent-1"), 0u);
  EXPECT_EQ(state->removedAgents.at("agent-1"), 1234.5);
  EXPECT_EQ(state->draining.at("agent-2"), 99);
  EXPECT_EQ(state->reservations.at("agent-2").toString(), "cpus(eng):2");
}

TEST(RocksDbStoreTest, CompareAndApplyWritesOnlyWhenTheGuardHolds) {
  TempDir dir{"agora-store-test"};
  auto store = openRocksDbStore(dir.path());
  ASSERT_TRUE(store.ok()) << store.error();
  Store& s = **store;
  Try<bool> first = s.compareAndApply("leader", std::nullopt, {{"leader", "m1"}, {"registry/x", "1"}});
  ASSERT_TRUE(first.ok()) << first.error();
  EXPECT_TRUE(*first);
  Try<bool> stale = s.compareAndApply("leader", std::string("m0"), {{"registry/x", "2"}});
  ASSERT_TRUE(stale.ok());
  EXPECT_FALSE(*stale) << "a deposed leader wrote";
  EXPECT_EQ(s.get("registry/x")->value_or(""), "1");
  Try<bool> current = s.compareAndApply("leader", std::string("m1"), {{"registry/x", std::nullopt}});
  ASSERT_TRUE(current.ok());
  EXPECT_TRUE(*current);
  EXPECT_FALSE(s.get("registry/x")->has_value());
}

// The master's loop goes on while a registration is being written, and the agent is admitted
// only once the write is durable.
class MasterRegistryTest : public InProcessMasterTest {};

TEST_F(MasterRegistryTest, TheLoopServesOthersWhileARegistrationIsWrittenAndAdmitsOnlyAfterIt) {
  auto gate = std::make_shared<GatedStore::Gate>();
  wrapStore = [gate](std::unique_ptr<Store> real) { return std::make_unique<GatedStore>(std::move(real), gate); };
  startMaster();
  gate->set(true);
  AgentInfo info;
  info.hostname = "slow-disk";
  info.resources = *Resources::parse("cpus:1;mem:128");
  OutboundEnvelope reg;
  codec::write(info, reg.get().initRegisterAgent().initAgent());
  agent->send(reg);
  ASSERT_TRUE(pump([&] { return metrics()["registry"]["in_flight"] == 1; }));
  // Held at the store, the write does not hold the loop: the framework's call is answered.
  roundTrip(*framework);
  EXPECT_EQ(agent->find(proto::Envelope::AGENT_REGISTERED), -1) << "admitted before its registration was durable";
  EXPECT_EQ(state()["agents"].size(), 0u);
  gate->set(false);
  ASSERT_TRUE(pump([&] { return agent->find(proto::Envelope::AGENT_REGISTERED) >= 0; }));
  EXPECT_EQ(state()["agents"].size(), 1u);
}

// After a failover, an agent whose re-registration is being written when its deadline passes
// is on its way back: it is not removed (its tasks would be GONE for nothing).
TEST_F(MasterRegistryTest, AnAgentBeingAdmittedAtItsDeadlineIsNotRemoved) {
  auto gate = std::make_shared<GatedStore::Gate>();
  wrapStore = [gate](std::unique_ptr<Store> real) { return std::make_unique<GatedStore>(std::move(real), gate); };
  options.agentReregisterTimeout = std::chrono::seconds(10);
  startMaster();
  std::string id = registerAgent(*agent);
  ASSERT_FALSE(id.empty());
  startMaster();  // failover: the agent is recovered and has 10 s to come back
  gate->set(true);
  AgentInfo info;
  info.id = id;
  info.hostname = "agent-host";
  // Resources that changed while the master was away: the new record must be written.
  info.resources = *Resources::parse("cpus:2;mem:512");
  OutboundEnvelope reg;
  codec::write(info, reg.get().initRegisterAgent().initAgent());
  agent->send(reg);
  ASSERT_TRUE(pump([&] { return metrics()["registry"]["in_flight"] == 1; }));
  advance(std::chrono::seconds(11));
  roundTrip(*framework);
  EXPECT_EQ(metrics()["counters"].value("agents_removed", 0), 0) << "removed while its registration was written";
  gate->set(false);
  ASSERT_TRUE(pump([&] { return agent->find(proto::Envelope::AGENT_REGISTERED) >= 0; }));
  EXPECT_EQ(state()["agents"][0]["state"], "active");
}

// Thousands of agents come back to a new leader at once: one whose record the registry holds
// unchanged is admitted without a write.
TEST_F(MasterRegistryTest, AnAgentBackUnchangedAfterAFailoverNeedsNoRegistryWrite) {
  startMaster();
  std::string id = registerAgent(*agent);
  ASSERT_FALSE(id.empty());
  startMaster();
  uint64_t writes = metrics()["counters"].value("registry_writes", 0);
  ASSERT_EQ(registerAgent(*agent, id), id);
  EXPECT_EQ(state()["agents"][0]["state"], "active");
  EXPECT_EQ(metrics()["counters"].value("registry_writes", 0), writes);
}

// After a failover the master does not know a task until its agent is back. A kill or an
// explicit reconciliation of it waits until every agent is back or its removal is durable:
// "unknown" before then would make the framework launch the task again.
class MasterFailoverAsksTest : public MasterRegistryTest {
 protected:
  MasterFailoverAsksTest() { options.agentReregisterTimeout = std::chrono::seconds(10); }

  // t1 runs on the agent; then the master fails over and the framework subscribes again.
  void runThenFailOver() {
    launchOn(startAndGetOffer(), "t1");
    sendStatus(*agent, "t1", TaskState::RUNNING);
    roundTrip(*agent);
    startMaster();
    ASSERT_EQ(subscribe(*framework, frameworkId), frameworkId);
  }
  bool heard(const std::string& taskId, TaskState state) {
    for (const TaskStatus& s : framework->updates())
      if (s.taskId == taskId && s.state == state) return true;
    return false;
  }
  TaskInfo t1() {
    TaskInfo t;
    t.taskId = "t1";
    t.resources = *Resources::parse("cpus:1;mem:128");
    t.command.value = "sleep 600";
    return t;
  }
};

TEST_F(MasterFailoverAsksTest, AKillOfATaskNotBackYetIsCarriedOutWhenItsAgentReturns) {
  runThenFailOver();
  OutboundEnvelope kill;
  kill.get().initKill().setTaskId("t1");
  framework->send(kill);
  roundTrip(*framework);
  EXPECT_FALSE(heard("t1", TaskState::UNKNOWN)) << "answered 'unknown' while its agent could still come back";
  size_t before = agent->count();
  ASSERT_EQ(registerAgent(*agent, agentId, {{t1(), TaskState::RUNNING}}), agentId);
  ASSERT_TRUE(pump([&] { return agent->find(proto::Envelope::KILL_TASK, before) >= 0; }));
  EXPECT_FALSE(heard("t1", TaskState::UNKNOWN));
}

TEST_F(MasterFailoverAsksTest, AReconciliationIsAnsweredOnlyOnceTheAgentsRemovalIsDurable) {
  auto gate = std::make_shared<GatedStore::Gate>();
  wrapStore = [gate](std::unique_ptr<Store> real) { return std::make_unique<GatedStore>(std::move(real), gate); };
  runThenFailOver();
  OutboundEnvelope ask;
  auto list = ask.get().initReconcile().initTasks(1);
  list[0].setTaskId("t1");
  list[0].setAgentId(agentId);
  framework->send(ask);
  framework->send(ask);  // asked twice, answered once
  roundTrip(*framework);
  EXPECT_FALSE(heard("t1", TaskState::UNKNOWN));
  gate->set(true);  // the removal's write is held
  advance(std::chrono::seconds(11));
  roundTrip(*framework);
  EXPECT_FALSE(heard("t1", TaskState::UNKNOWN)) << "answered before the removal was durable";
  gate->set(false);
  ASSERT_TRUE(pump([&] { return heard("t1", TaskState::UNKNOWN); }));
  int unknown = 0;
  for (const TaskStatus& s : framework->updates()) unknown += s.taskId == "t1" && s.state == TaskState::UNKNOWN;
  EXPECT_EQ(unknown, 1);
  EXPECT_EQ(framework->updates().back().agentId, agentId);
}

}  // namespace
}  // namespace agora::testing
