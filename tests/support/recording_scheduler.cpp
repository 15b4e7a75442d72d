#include "tests/support/recording_scheduler.hpp"

namespace agora::testing {

TaskInfo shellTask(const std::string& id, const std::string& command, double cpus, double mem) {
  TaskInfo t;
  t.taskId = id;
  t.name = id;
  t.command.value = command;
  (void)t.resources.add(Resource::scalar("cpus", cpus));
  (void)t.resources.add(Resource::scalar("mem", mem));
  return t;
}

void RecordingScheduler::registered(sdk::SchedulerDriver&, const std::string&, bool reregistered) {
  std::lock_guard<std::mutex> lock(mutex);
  ++registrations;
  if (reregistered) ++reregistrations;
  changed_.notify_all();
}

void RecordingScheduler::resourceOffers(sdk::SchedulerDriver& driver, const std::vector<Offer>& received) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    for (const auto& o : received) offers.push_back({o, std::chrono::steady_clock::now()});
    changed_.notify_all();
  }
  if (onOffers) {
    onOffers(driver, received);
    // The policy may have changed what a waiting test looks at.
    std::lock_guard<std::mutex> lock(mutex);
    changed_.notify_all();
    return;
  }
  std::lock_guard<std::mutex> lock(mutex);
  for (const Offer& offer : received) {
    Resources left = offer.resources;
    std::vector<TaskInfo> launch;
    while (!queued_.empty() && left.contains(queued_.front().resources)) {
      left -= queued_.front().resources;
      launchedAt[queued_.front().taskId] = std::chrono::steady_clock::now();
      launch.push_back(queued_.front());
      queued_.pop_front();
    }
    if (launch.empty()) driver.declineOffer(offer.id, 0.2);
    else driver.launchTasks({offer.id}, launch, 0.2);
  }
}

void RecordingScheduler::offerRescinded(sdk::SchedulerDriver&, const std::string& offerId) {
  std::lock_guard<std::mutex> lock(mutex);
  rescinded.push_back(offerId);
  changed_.notify_all();
}

void RecordingScheduler::statusUpdate(sdk::SchedulerDriver&, const TaskStatus& status) {
  std::lock_guard<std::mutex> lock(mutex);
  updates.push_back(status);
  changed_.notify_all();
}

void RecordingScheduler::error(sdk::SchedulerDriver&, const std::string& message) {
  std::lock_guard<std::mutex> lock(mutex);
  errors.push_back(message);
  changed_.notify_all();
}

void RecordingScheduler::agentLost(sdk::SchedulerDriver&, const std::string& agentId) {
  std::lock_guard<std::mutex> lock(mutex);
  lostAgents.push_back(agentId);
  changed_.notify_all();
}

void RecordingScheduler::queue(const TaskInfo& task) {
  std::lock_guard<std::mutex> lock(mutex);
  queued_.push_back(task);
}

bool RecordingScheduler::waitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex);
  return changed_.wait_for(lock, timeout, condition);
}

std::optional<TaskStatus> RecordingScheduler::waitForState(const std::string& taskId, TaskState state,
                                                           std::chrono::milliseconds timeout) {
  std::optional<TaskStatus> found;
  waitFor([&] {
    found = latest(taskId);
    return found && found->state == state;
  }, timeout);
  return found && found->state == state ? found : std::nullopt;
}

std::vector<TaskStatus> RecordingScheduler::updatesFor(const std::string& taskId) {
  std::vector<TaskStatus> out;
  for (const auto& u : updates)
    if (u.taskId == taskId) out.push_back(u);
  return out;
}

std::optional<TaskStatus> RecordingScheduler::latest(const std::string& taskId) {
  std::optional<TaskStatus> out;
  for (const auto& u : updates)
    if (u.taskId == taskId) out = u;
  return out;
}

size_t RecordingScheduler::terminalCount() {
  std::set<std::string> done;
  for (const auto& u : updates)
    if (isTerminal(u.state)) done.insert(u.taskId);
  return done.size();
}

}  // namespace agora::testing
