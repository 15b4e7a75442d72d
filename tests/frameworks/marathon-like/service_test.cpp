// The service's decisions on a manual clock: offers, status updates and timers driven by
// hand against a real store; the driver is never started, so what the service decides is
// read from its state, its queue and its events.
#include <gtest/gtest.h>

#include "frameworks/marathon-like/app_json.hpp"
#include "frameworks/marathon-like/service.hpp"
#include "tests/support/temp_dir.hpp"

namespace agora::marathon {
namespace {

using nlohmann::json;

class ServiceTest : public ::testing::Test {
 protected:
  ServiceTest() { open(); }

  void open() {
    driver_.reset();
    service_.reset();
    auto store = openRocksDbStore(dir_.path() + "/state");
    ASSERT_TRUE(store.ok()) << store.error();
    service_ = std::make_unique<Service>(loop_, std::move(*store), ServiceOptions{});
    ASSERT_TRUE(service_->recover().ok());
    driver_ = std::make_unique<sdk::SchedulerDriver>(*service_, FrameworkInfo{}, "127.0.0.1:1", loop_);
  }

  // Runs what is due now: posted settles and timers.
  void run() {
    for (int i = 0; i < 5; ++i) loop_.runOnce(Duration::zero());
  }
  void advance(double s) {
    clock_.advance(seconds(s));
    run();
  }

  void add(json definition) {
    Violations v;
    AppDefinition app = appFromJson(definition, "/", v);
    ASSERT_TRUE(v.empty()) << violationsBody(v).dump();
    ASSERT_EQ(service_->change({{app.id, app}}, false, "create").status, 200);
    service_->requestSettle();  // as the API does after a change
    run();
  }

  void offer(const std::string& resources = "cpus:4;mem:4096;ports:[31000-31010]") {
    Offer o;
    o.id = "offer-" + std::to_string(++offers_);
    o.agentId = "agent-1";
    o.hostname = "host-1";
    o.resources = *Resources::parse(resources);
    service_->resourceOffers(*driver_, {o});
    run();
  }

  void update(const std::string& taskId, TaskState state, std::string message = "") {
    TaskStatus s;
    s.taskId = taskId;
    s.agentId = "agent-1";
    s.state = state;
    s.message = std::move(message);
    service_->statusUpdate(*driver_, s);
    run();
  }

  std::vector<const Instance*> instances(const std::string& app) { return service_->instancesOf(app); }
  uint32_t wanted(const std::string& app) {
    auto it = service_->wanted().find(app);
    return it == service_->wanted().end() ? 0 : it->second;
  }
  std::vector<std::string> eventTypes() {
    std::vector<std::string> out;
    for (const auto& [id, e] : service_->events().since(0)) out.push_back(e.value("eventType", ""));
    return out;
  }

  testing::TempDir dir_;
  ManualClock clock_;
  EventLoop loop_{clock_};
  std::unique_ptr<Service> service_;
  std::unique_ptr<sdk::SchedulerDriver> driver_;
  int offers_ = 0;
};

TEST_F(ServiceTest, AnInstanceIsRecordedBeforeItsTaskIsLaunchedAndNeverOvershoots) {
  add({{"id", "/web"}, {"cmd", "serve"}, {"instances", 3}, {"cpus", 1}, {"mem", 128}});
  EXPECT_EQ(wanted("/web"), 3u);
  offer("cpus:2;mem:4096;ports:[31000-31010]");
  EXPECT_EQ(instances("/web").size(), 2u) << "two fit";
  EXPECT_EQ(wanted("/web"), 1u);
  offer("cpus:8;mem:4096;ports:[31000-31010]");
  EXPECT_EQ(instances("/web").size(), 3u) << "never more than asked for";
  // Each record is in the store: a restart knows every task it may have launched.
  std::vector<std::string> known = service_->knownTaskIds();
  open();
  EXPECT_EQ(service_->knownTaskIds(), known);
  EXPECT_EQ(service_->deployments().size(), 1u) << "the deployment carries on after the restart";
}

// An app stored before constraint patterns moved to RE2 may hold one RE2 refuses (a
// back-reference): it waits and the queue says why; the other apps still launch.
TEST_F(ServiceTest, AConstraintThisVersionCannotReadKeepsOnlyItsAppWaiting) {
  add({{"id", "/old"}, {"cmd", "serve"}, {"instances", 1}, {"cpus", 1}, {"mem", 128},
       {"constraints", json::array({json::array({"hostname", "LIKE", "(h)\\1"})})}});
  add({{"id", "/web"}, {"cmd", "serve"}, {"instances", 1}, {"cpus", 1}, {"mem", 128}});
  offer();
  EXPECT_EQ(instances("/old").size(), 0u);
  EXPECT_EQ(instances("/web").size(), 1u);
  std::string queue = service_->queueJson().dump();
  EXPECT_NE(queue.find("a constraint this version cannot read: '(h)\\\\1' is not a valid regular expression"), std::string::npos)
      << queue;
}

TEST_F(ServiceTest, AFailedTaskIsReplacedAfterItsBackoffWhichGrows) {
  add({{"id", "/web"}, {"cmd", "serve"}, {"cpus", 1}, {"mem", 128}, {"backoffSeconds", 5}, {"backoffFactor", 2}});
  offer();
  std::string first = instances("/web").at(0)->taskId;
  update(first, TaskState::RUNNING);
  update(first, TaskState::FAILED, "exit 1");
  EXPECT_TRUE(instances("/web").empty());
  EXPECT_EQ(wanted("/web"), 0u) << "delayed";
  EXPECT_EQ(service_->delayLeft("/web"), seconds(5));
  EXPECT_EQ(service_->queueJson()["queue"][0]["delay"]["timeLeftSeconds"], 5);
  EXPECT_EQ(service_->lastFailure("/web")->message, "exit 1");
  advance(5);
  EXPECT_EQ(wanted("/web"), 1u);
  offer();
  std::string second = instances("/web").at(0)->taskId;
  EXPECT_NE(second, first) << "a replacement is a new instance";
  update(second, TaskState::FAILED, "exit 1");
  EXPECT_EQ(service_->delayLeft("/web"), seconds(10)) << "times the factor";
  EXPECT_TRUE(service_->resetDelay("/web"));  // DELETE /v2/queue/web/delay
  service_->requestSettle();
  run();
  EXPECT_EQ(wanted("/web"), 1u);
}

TEST_F(ServiceTest, AnUnreachableInstanceIsReplacedAfterInactiveAndForgottenAfterExpunge) {
  add({{"id", "/web"}, {"cmd", "serve"}, {"cpus", 1}, {"mem", 128},
       {"unreachableStrategy", {{"inactiveAfterSeconds", 10}, {"expungeAfterSeconds", 30}}}});
  offer();
  std::string original = instances("/web").at(0)->taskId;
  update(original, TaskState::RUNNING);
  update(original, TaskState::UNREACHABLE, "agent partitioned");
  EXPECT_EQ(wanted("/web"), 0u) << "not before inactiveAfterSeconds";
  advance(9);
  EXPECT_EQ(wanted("/web"), 0u);
  advance(1.1);
  EXPECT_EQ(wanted("/web"), 1u) << "inactive: replaced";
  EXPECT_TRUE(instances("/web").at(0)->inactive);
  offer();
  ASSERT_EQ(instances("/web").size(), 2u);
  advance(20);
  ASSERT_EQ(instances("/web").size(), 1u) << "expunged";
  EXPECT_NE(instances("/web").at(0)->taskId, original);
  // The original coming back now is no instance of ours: it is killed.
  update(original, TaskState::RUNNING);
  EXPECT_EQ(eventTypes().back(), "unknown_instance_terminated_event");
  EXPECT_EQ(instances("/web").size(), 1u);
}

TEST_F(ServiceTest, AnUnreachableInstanceThatComesBackInTimeStaysAndTheExtraGoes) {
  add({{"id", "/web"}, {"cmd", "serve"}, {"cpus", 1}, {"mem", 128},
       {"unreachableStrategy", {{"inactiveAfterSeconds", 10}, {"expungeAfterSeconds", 60}}}});
  offer();
  std::string original = instances("/web").at(0)->taskId;
  update(original, TaskState::RUNNING);
  update(original, TaskState::UNREACHABLE);
  advance(11);
  offer();
  ASSERT_EQ(instances("/web").size(), 2u);
  std::string replacement;
  for (const Instance* i : instances("/web"))
    if (i->taskId != original) replacement = i->taskId;
  update(replacement, TaskState::RUNNING);
  update(original, TaskState::RUNNING);  // back before expungeAfterSeconds
  int killing = 0;
  for (const Instance* i : instances("/web")) killing += i->killing;
  EXPECT_EQ(killing, 1) << "one of the two goes: the app has one instance";
}

TEST_F(ServiceTest, AProgressDeadlineFailsTheDeploymentWithWhatIsMissing) {
  add({{"id", "/big"}, {"cmd", "serve"}, {"cpus", 1}, {"mem", 2048}, {"instances", 2}});
  offer("cpus:4;mem:1024;ports:[31000-31010]");
  EXPECT_TRUE(instances("/big").empty());
  advance(601);
  ASSERT_EQ(service_->deployments().size(), 1u);
  const Deployment& d = service_->deployments().begin()->second;
  EXPECT_TRUE(d.failed);
  EXPECT_NE(d.failureReason.find("/big: 2 of 2 new instances not launched: needs mem 2048, largest offer had 1024 (agent agent-1)"),
            std::string::npos)
      << d.failureReason;
  EXPECT_EQ(eventTypes().back(), "deployment_failed");
}

}  // namespace
}  // namespace agora::marathon
