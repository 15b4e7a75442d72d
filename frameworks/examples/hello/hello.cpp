// agora-hello MASTER [COMMAND]: runs COMMAND (default: echo hello) once on the cluster,
// on the first agent whose offers hold it, and exits with 0 if it finished.
#include <iostream>

#include "frameworks/sdk/offer_matching.hpp"
#include "frameworks/sdk/scheduler.hpp"

using namespace agora;

class Hello : public sdk::Scheduler {
 public:
  explicit Hello(std::string command) : command_(std::move(command)) {}

  void resourceOffers(sdk::SchedulerDriver& driver, const std::vector<Offer>& offers) override {
    for (sdk::AgentOffers& agent : sdk::groupByAgent(offers)) {
      Try<sdk::Taken> taken = sdk::take(agent, {*Resources::parse("cpus:0.1;mem:32"), {{0, "http"}}, {}});
      if (launched_ || taken.isError()) {
        for (const auto& id : agent.offerIds) driver.declineOffer(id, launched_ ? 3600 : 1);
        continue;
      }
      TaskInfo task;
      task.taskId = "hello-1";
      task.resources = taken->resources;
      task.command.value = command_;
      driver.launchTasks(agent.offerIds, {task});
      launched_ = true;
      std::cout << "launched on " << agent.hostname << ", port " << taken->ports[0] << std::endl;
    }
  }

  void statusUpdate(sdk::SchedulerDriver& driver, const TaskStatus& status) override {
    std::cout << status.taskId << ": " << stateName(status.state) << " " << status.message << std::endl;
    if (!isTerminal(status.state)) return;
    finished_ = status.state == TaskState::FINISHED;
    driver.teardown();
    driver.stop();  // run() returns
  }

  bool finished() const { return finished_; }

 private:
  std::string command_;
  bool launched_ = false, finished_ = false;
};

int main(int argc, char** argv) {
  if (argc < 2) return std::cerr << "usage: agora-hello MASTER [COMMAND]\n", 2;
  Hello hello(argc > 2 ? argv[2] : "echo hello");
  FrameworkInfo info;
  info.name = "hello";
  sdk::SchedulerDriver driver(hello, info, argv[1]);
  Status ran = driver.run();
  if (!ran.ok()) return std::cerr << ran.error() << "\n", 1;
  return hello.finished() ? 0 : 1;
}
