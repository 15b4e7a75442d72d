#pragma once
// An in-process master on a ManualClock for unit tests, with agents and frameworks as ZeroMQ
// peers on loopback. Time moves only when the test says, so "not yet" is checked exactly: a
// request answered over the same connection proves that nothing was sent to that peer
// before it.

#include <capnp/message.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/codec.hpp"
#include "common/transport.hpp"
#include "master/master.hpp"
#include "tests/support/temp_dir.hpp"

namespace agora::testing {

// A DEALER that keeps a copy of every message it receives, and answers pings if told to.
class WirePeer {
 public:
  WirePeer(zmq::context_t& context, EventLoop& loop, const std::string& endpoint)
      : socket_(context, loop, MessageSocket::Kind::kDealer) {
    EXPECT_TRUE(socket_.connect(endpoint).ok());
    socket_.onMessage([this](const std::string&, proto::Envelope::Reader m) {
      if (answerPings && m.isPing()) {
        OutboundEnvelope pong;
        pong.get().initPong().setSequence(m.getPing().getSequence());
        send(pong);
      }
      auto copy = std::make_unique<capnp::MallocMessageBuilder>();
      copy->setRoot(m);
      received_.push_back(std::move(copy));
    });
  }

  void send(OutboundEnvelope& message) { EXPECT_TRUE(socket_.send(message)); }
  size_t count() const { return received_.size(); }
  proto::Envelope::Reader at(size_t i) { return received_[i]->getRoot<proto::Envelope>().asReader(); }
  // The index of the first message of `kind` from `from` on, or -1.
  int find(proto::Envelope::Which kind, size_t from = 0) {
    for (size_t i = from; i < received_.size(); ++i)
      if (at(i).which() == kind) return static_cast<int>(i);
    return -1;
  }
  // The task statuses the master sent (as UPDATE), in order.
  std::vector<TaskStatus> updates() {
    std::vector<TaskStatus> out;
    for (size_t i = 0; i < received_.size(); ++i)
      if (at(i).isUpdate()) out.push_back(codec::read(at(i).getUpdate().getStatus()));
    return out;
  }

  bool answerPings = false;

 private:
  MessageSocket socket_;
  std::vector<std::unique_ptr<capnp::MallocMessageBuilder>> received_;
};

class InProcessMasterTest : public ::testing::Test {
 protected:
  // Options for the master; tests override what they need before SetUp() runs.
  MasterOptions options;

  InProcessMasterTest() {
    options.endpoint = "tcp://127.0.0.1:*";
    options.pingInterval = std::chrono::hours(1);  // liveness is not under test unless set
    options.allocationInterval = std::chrono::seconds(1);
  }

  void SetUp() override { startMaster(); }

  // (Re)starts the master on the same registry; the first start binds a free port. A
  // restart comes with a new loop (the old master's timers die with the old one) and new
  // peers, as real peers would reconnect.
  void startMaster() {
    agent.reset();
    framework.reset();
    if (!endpoint.empty()) options.endpoint = endpoint;
    // ZeroMQ closes the old socket in its I/O thread: its port may be busy for a moment.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    Try<std::string> bound = Error("not started");
    do {
      master.reset();
      loop = std::make_unique<EventLoop>(clock);
      auto store = openRocksDbStore(dir.path() + "/registry");
      ASSERT_TRUE(store.ok()) << store.error();
      if (wrapStore) *store = wrapStore(std::move(*store));
      auto registry = std::make_unique<Registry>(*loop, std::move(*store));
      master = std::make_unique<Master>(context, *loop, options, std::move(registry), makeHierarchicalAllocator(clock));
      bound = master->start();
    } while (bound.isError() && std::chrono::steady_clock::now() < deadline);
    ASSERT_TRUE(bound.ok()) << bound.error();
    endpoint = *bound;
    agent = newPeer();
    framework = newPeer();
    framework->answerPings = true;
  }

  std::unique_ptr<WirePeer> newPeer() { return std::make_unique<WirePeer>(context, *loop, endpoint); }

  // Runs the loop (without moving the clock) until `done`; false after ten real seconds.
  bool pump(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      loop->runOnce(std::chrono::milliseconds(1));
      for (EventLoop* other : otherLoops) other->runOnce(std::chrono::milliseconds(1));
    }
    return true;
  }

  // Everything the master sent `peer` so far has arrived once this returns.
  void roundTrip(WirePeer& peer) {
    size_t before = peer.count();
    OutboundEnvelope request;
    auto r = request.get().initApiRequest();
    r.setMethod("GET");
    r.setPath("/health");
    peer.send(request);
    ASSERT_TRUE(pump([&] { return peer.find(proto::Envelope::API_RESPONSE, before) >= 0; }));
  }

  void advance(Duration d) {
    clock.advance(d);
    loop->runOnce(Duration::zero());
    for (EventLoop* other : otherLoops) other->runOnce(Duration::zero());
  }

  // Moves the clock in `step`s up to `total`, letting the loop run at each step (pings go
  // out and are answered in between).
  void advanceInSteps(Duration total, Duration step) {
    for (Duration done{}; done < total; done += step) {
      advance(step);
      roundTrip(*framework);
    }
  }

  // Registers `peer` as an agent (again, with its id and tasks, when given); returns its id.
  std::string registerAgent(WirePeer& peer, const std::string& id = "",
                            const std::vector<std::pair<TaskInfo, TaskState>>& tasks = {},
                            const std::string& resources = "cpus:4;mem:1024") {
    AgentInfo info;
    info.id = id;
    info.hostname = "agent-host";
    info.resources = *Resources::parse(resources);
    OutboundEnvelope reg;
    auto r = reg.get().initRegisterAgent();
    codec::write(info, r.initAgent());
    auto list = r.initTasks(static_cast<unsigned>(tasks.size()));
    for (unsigned i = 0; i < tasks.size(); ++i) {
      list[i].setFrameworkId(frameworkId);
      codec::write(tasks[i].first, list[i].initTask());
      list[i].setState(tasks[i].second);
    }
    size_t before = peer.count();
    peer.send(reg);
    EXPECT_TRUE(pump([&] {
      return peer.find(proto::Envelope::AGENT_REGISTERED, before) >= 0 ||
             peer.find(proto::Envelope::AGENT_REMOVED, before) >= 0 || peer.find(proto::Envelope::ERROR, before) >= 0;
    }));
    int registered = peer.find(proto::Envelope::AGENT_REGISTERED, before);
    return registered < 0 ? "" : peer.at(registered).getAgentRegistered().getAgentId().cStr();
  }

  // Subscribes `peer` as a framework (with `id`: re-subscribes); returns the framework id.
  std::string subscribe(WirePeer& peer, const std::string& id = "", const std::string& name = "edges") {
    FrameworkInfo fw;
    fw.id = id;
    fw.name = name;
    fw.failoverTimeoutSeconds = 3600;
    OutboundEnvelope sub;
    codec::write(fw, sub.get().initSubscribe().initFramework());
    size_t before = peer.count();
    peer.send(sub);
    EXPECT_TRUE(pump([&] {
      return peer.find(proto::Envelope::SUBSCRIBED, before) >= 0 || peer.find(proto::Envelope::ERROR, before) >= 0;
    }));
    int subscribed = peer.find(proto::Envelope::SUBSCRIBED, before);
    return subscribed < 0 ? "" : peer.at(subscribed).getSubscribed().getFrameworkId().cStr();
  }

  // The id of the first offer `peer` received at index `from` or later, waiting for it.
  std::string nextOffer(WirePeer& peer, size_t from = 0) {
    EXPECT_TRUE(pump([&] { return peer.find(proto::Envelope::OFFERS, from) >= 0; }));
    int i = peer.find(proto::Envelope::OFFERS, from);
    return i < 0 ? "" : peer.at(i).getOffers().getOffers()[0].getId().cStr();
  }

  // Registers the agent and subscribes the framework; returns the first offer's id.
  std::string startAndGetOffer() {
    agentId = registerAgent(*agent);
    frameworkId = subscribe(*framework);
    return nextOffer(*framework);
  }

  // Accepts `offerId` with one task and waits until the agent is told to run it.
  void launchOn(const std::string& offerId, const std::string& taskId, const std::string& name = "") {
    TaskInfo task;
    task.taskId = taskId;
    task.name = name;
    task.resources = *Resources::parse("cpus:1;mem:128");
    task.command.value = "sleep 600";
    size_t before = agent->count();
    OutboundEnvelope accept;
    auto a = accept.get().initAccept();
    a.setFrameworkId(frameworkId);
    a.initOfferIds(1).set(0, offerId);
    codec::write(task, a.initOperations(1)[0].initLaunch(1)[0]);
    framework->send(accept);
    if (name.empty()) {
      ASSERT_TRUE(pump([&] { return agent->find(proto::Envelope::RUN_TASK, before) >= 0; }));
    }
  }

  // `from` reports `state` for `taskId` of the framework.
  void sendStatus(WirePeer& from, const std::string& taskId, TaskState state, const std::string& uuid = "u1") {
    TaskStatus s;
    s.taskId = taskId;
    s.frameworkId = frameworkId;
    s.state = state;
    s.uuid = uuid;
    OutboundEnvelope out;
    codec::write(s, out.get().initStatusUpdate().initStatus());
    from.send(out);
  }

  // Calls the master's API as the HTTP server would, waiting (pumping the loop) for an answer
  // that comes after a registry write.
  ApiReply api(const std::string& method, const std::string& target, const std::string& body = "") {
    ApiReply reply = master->handleApi(parseApiTarget(method, target, body));
    if (!reply.pending) return reply;
    auto given = std::make_shared<std::optional<ApiReply>>();  // an answer after a timeout lands here too
    reply.pending->then([given](const ApiReply& r) { *given = r; });
    EXPECT_TRUE(pump([&] { return given->has_value(); })) << method << " " << target << " was never answered";
    return given->value_or(errorReply(504, "no answer"));
  }

  nlohmann::json state() { return nlohmann::json::parse(master->handleApi(parseApiTarget("GET", "/api/v1/state", "")).body); }
  nlohmann::json metrics() {
    return nlohmann::json::parse(master->handleApi(parseApiTarget("GET", "/api/v1/metrics", "")).body);
  }

  // Set before startMaster(): wraps the registry's real store (to hold its writes, say).
  std::function<std::unique_ptr<Store>(std::unique_ptr<Store>)> wrapStore;

  TempDir dir{"agora-in-process-master"};
  ManualClock clock;
  zmq::context_t context;
  std::unique_ptr<EventLoop> loop;  // the master's, and its peers'
  // Loops of other parts under test (a scheduler driver's), run by pump() and advance() too.
  std::vector<EventLoop*> otherLoops;
  std::string endpoint;
  std::unique_ptr<Master> master;
  std::unique_ptr<WirePeer> agent, framework;
  std::string agentId, frameworkId;
};

}  // namespace agora::testing
