// agora-agent: offers this machine's resources to the master and runs tasks.
#include <signal.h>

#include <filesystem>

#include <gflags/gflags.h>
#include <glog/logging.h>

#include "agent/agent.hpp"
#include "agent/detect.hpp"
#include "common/signals.hpp"

DEFINE_string(master, "127.0.0.1:5050", "The master's ZeroMQ address, host:port.");
DEFINE_string(work_dir, "", "Directory for sandboxes and agent state. Required.");
DEFINE_string(hostname, "", "Hostname to advertise; detected when empty.");
DEFINE_string(resources, "",
              "Resources to offer, overriding detection by name, e.g. 'cpus:2;mem:4096;ports:[31000-31999]'.");
DEFINE_string(attributes, "", "Attributes of this machine, e.g. 'rack:r1;zone:a'.");
DEFINE_double(status_update_retry_max, 10.0, "Longest wait in seconds between resends of an unacknowledged update.");
DEFINE_double(registration_retry, 0.5, "Seconds between registration attempts while the master does not answer.");

int main(int argc, char** argv) {
  gflags::SetUsageMessage("agora-agent --master=HOST:PORT --work_dir=DIR [--resources=...] [--attributes=...]\n"
                          "Offers this machine's resources to the master and runs the tasks it is sent.");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;
  // Before any thread starts: these arrive through a signalfd in the event loop.
  int stopSignals = agora::blockSignalsToFd({SIGINT, SIGTERM});
  int childSignals = agora::blockSignalsToFd({SIGCHLD});
  signal(SIGPIPE, SIG_IGN);
  if (FLAGS_work_dir.empty()) {
    LOG(ERROR) << "--work_dir is required: sandboxes live there (e.g. --work_dir=/var/lib/agora/agent)";
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(FLAGS_work_dir, ec);
  if (ec) {
    LOG(ERROR) << "Cannot create --work_dir=" << FLAGS_work_dir << ": " << ec.message();
    return 1;
  }
  auto resources = agora::detectResources(FLAGS_work_dir, FLAGS_resources);
  if (resources.isError()) {
    LOG(ERROR) << resources.error();
    return 2;
  }
  auto attributes = agora::parseAttributes(FLAGS_attributes);
  if (attributes.isError()) {
    LOG(ERROR) << "--attributes: " << attributes.error();
    return 2;
  }

  agora::RealClock clock;
  agora::EventLoop loop(clock);
  zmq::context_t context(1);
  agora::AgentOptions options;
  options.master = agora::tcpEndpoint(FLAGS_master);
  options.workDir = std::filesystem::absolute(FLAGS_work_dir).string();
  options.hostname = FLAGS_hostname.empty() ? agora::detectHostname() : FLAGS_hostname;
  options.resources = *resources;
  options.attributes = *attributes;
  options.statusRetryMax = agora::seconds(FLAGS_status_update_retry_max);
  options.registrationRetry = agora::seconds(FLAGS_registration_retry);
  agora::Agent agent(context, loop, options);
  agora::Status started = agent.start(childSignals);
  if (!started.ok()) {
    LOG(ERROR) << started.error();
    return 1;
  }
  loop.watchFd(stopSignals, [&] {
    if (agora::readSignal(stopSignals)) loop.stop();
  });
  loop.run();
  // Until tasks run under their own supervisors (the isolation issue), they end with the agent.
  LOG(INFO) << "Agent stopping: killing its tasks";
  agent.killAllTasks();
  return 0;
}
