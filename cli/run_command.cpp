// agora run: a tiny framework that runs one command on the cluster, prints its state
// changes, and exits with the command's exit code.
#include <condition_variable>
#include <iostream>
#include <mutex>

#include <gflags/gflags.h>

#include "cli/agent_client.hpp"
#include "cli/commands.hpp"
#include "cli/credentials.hpp"
#include "cli/master_client.hpp"
#include "common/ids.hpp"
#include "frameworks/sdk/scheduler.hpp"

DEFINE_double(cpus, 0.1, "agora run: cpus for the command.");
DEFINE_double(mem, 32, "agora run: memory in MiB for the command.");
DEFINE_string(name, "", "agora run: task name (default: the command).");
DEFINE_double(timeout, 30, "agora run: seconds to wait for an offer that fits before giving up.");
DEFINE_bool(quiet, false, "agora run: print only the command's output, not its state changes.");

namespace agora::cli {
namespace {

class RunScheduler : public sdk::Scheduler {
 public:
  explicit RunScheduler(TaskInfo task) : task_(std::move(task)) {}

  void resourceOffers(sdk::SchedulerDriver& driver, const std::vector<Offer>& offers) override {
    for (const Offer& offer : offers) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (launched_ || !offer.resources.contains(task_.resources)) {
        driver.declineOffer(offer.id, launched_ ? 3600 : 1);
        if (!launched_) biggest_ = offer.resources.toString();
        continue;
      }
      launched_ = true;
      driver.launchTasks({offer.id}, {task_});
      print("launched " + task_.taskId + " on " + offer.hostname);
    }
  }

  void statusUpdate(sdk::SchedulerDriver&, const TaskStatus& status) override {
    if (status.taskId != task_.taskId) return;
    std::string line = stateName(status.state);
    if (!status.message.empty()) line += "  " + status.message;
    print(line);
    if (!isTerminal(status.state)) return;
    std::lock_guard<std::mutex> lock(mutex_);
    final_ = status;
    done_.notify_all();
  }

  void error(sdk::SchedulerDriver&, const std::string& message) override {
    std::cerr << "agora run: master: " << message << "\n";
  }

  // The final status, or nullopt if nothing fitting was offered before `deadline`.
  std::optional<TaskStatus> wait(std::chrono::steady_clock::time_point offerDeadline) {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait_until(lock, offerDeadline, [&] { return final_.has_value() || launched_; });
    done_.wait(lock, [&] { return final_.has_value() || !launched_; });
    return final_;
  }

  std::string biggestOffer() {
    std::lock_guard<std::mutex> lock(mutex_);
    return biggest_;
  }

 private:
  void print(const std::string& line) {
    if (!FLAGS_quiet) std::cerr << "agora run: " << line << std::endl;
  }

  TaskInfo task_;
  std::mutex mutex_;
  std::condition_variable done_;
  bool launched_ = false;
  std::optional<TaskStatus> final_;
  std::string biggest_;
};

// The command's output, read through its agent's API: the sandbox may be on another machine.
void printOutput(const TaskStatus& final) {
  auto reply = callMaster(masterAddress(), "GET", "/api/v1/agents");
  if (reply.isError() || reply->status != 200) {
    std::cerr << "agora run: cannot read the command's output: the master did not answer\n";
    return;
  }
  auto agent = findAgent(nlohmann::json::parse(reply->body, nullptr, false), final.agentId);
  if (agent.isError()) {
    std::cerr << "agora run: cannot read the command's output: " << agent.error() << "\n";
    return;
  }
  for (auto [name, stream] : {std::pair{"stdout", &std::cout}, std::pair{"stderr", &std::cerr}}) {
    Try<uint64_t> copied = copyTaskFile(TaskFile{*agent, final.frameworkId, final.taskId, name}, 0, *stream);
    if (copied.isError()) std::cerr << "agora run: cannot read the command's " << name << ": " << copied.error() << "\n";
  }
}

// What the user typed, quoted as a shell would need it: the task's name.
std::string displayLine(const std::vector<std::string>& command) {
  if (command.size() == 1) return command[0];
  std::string line;
  for (const auto& part : command) {
    bool plain = !part.empty() && part.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                                         "-_./=:,+@%") == std::string::npos;
    std::string quoted = plain ? part : "'";
    if (!plain) {
      for (char c : part) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
      quoted += "'";
    }
    line += (line.empty() ? "" : " ") + quoted;
  }
  return line;
}

}  // namespace

int runCommand(const std::vector<std::string>& command) {
  if (command.empty()) {
    std::cerr << "agora run: no command given; usage: agora run [--cpus=N --mem=MiB] -- COMMAND [ARGS...]\n";
    return 2;
  }
  TaskInfo task;
  task.taskId = "run-" + newUuid().substr(0, 12);
  task.name = FLAGS_name.empty() ? displayLine(command) : FLAGS_name;
  // One argument is a shell command line; several are the program's argv, run as given.
  task.command.shell = command.size() == 1;
  task.command.value = command[0];
  if (!task.command.shell) task.command.arguments = command;
  Status s = task.resources.add(Resource::scalar("cpus", FLAGS_cpus));
  if (s.ok()) s = task.resources.add(Resource::scalar("mem", FLAGS_mem));
  if (!s.ok()) {
    std::cerr << "agora run: " << s.error() << "\n";
    return 2;
  }
  FrameworkInfo framework;
  framework.name = "agora-run";
  framework.roles = {"*"};
  // A run lives with its command line: if agora run dies, its task goes too.
  framework.failoverTimeoutSeconds = 0;
  RunScheduler scheduler(task);
  sdk::DriverOptions options;
  const Try<Credentials>& who = credentials();
  if (who.isError()) {
    std::cerr << "agora run: " << who.error() << "\n";
    return 1;
  }
  options.curve = who->curve;
  sdk::SchedulerDriver driver(scheduler, framework, masterAddress(), options);
  if (Status started = driver.start(); !started.ok()) {
    std::cerr << "agora run: " << started.error() << "\n";
    return 1;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(int64_t(FLAGS_timeout * 1000));
  std::optional<TaskStatus> final = scheduler.wait(deadline);
  driver.teardown();
  driver.stop();
  if (!final) {
    std::cerr << "agora run: no offer could hold " << task.resources << " within " << FLAGS_timeout << " s";
    if (!driver.connected()) std::cerr << " (no answer from the master at " << masterAddress() << ": is it running?)";
    else if (!scheduler.biggestOffer().empty()) std::cerr << " (the offers had " << scheduler.biggestOffer() << ")";
    else std::cerr << " (no agent offered anything: see `agora status`)";
    std::cerr << "\n";
    return 1;
  }
  if (final->state != TaskState::ERROR) printOutput(*final);
  if (final->state == TaskState::FINISHED) return 0;
  return final->exitCode && *final->exitCode != 0 ? *final->exitCode : 1;
}

}  // namespace agora::cli
