// agora-master: pools the agents' resources and offers them to frameworks.
#include <algorithm>
#include <csignal>
#include <filesystem>

#include <gflags/gflags.h>
#include <glog/logging.h>

#include "common/file_limit.hpp"
#include "common/http_server.hpp"
#include "common/signals.hpp"
#include "master/master.hpp"

DEFINE_string(ip, "127.0.0.1", "Address to listen on for agents, schedulers (ZeroMQ) and HTTP.");
DEFINE_int32(port, 5050, "ZeroMQ port for agents, schedulers and the CLI; 0 picks a free port.");
DEFINE_int32(http_port, 5055, "HTTP port for /health, /api/v1/state and the dashboard; 0 picks a free port.");
DEFINE_string(work_dir, "", "Directory for the registry (RocksDB). Required: the registry must survive restarts.");
DEFINE_double(ping_interval, 1.0, "Seconds between pings to each agent and framework.");
DEFINE_int32(max_missed_pings, 5, "Pings a peer may miss before it is taken for disconnected.");
DEFINE_double(allocation_interval, 1.0, "Seconds between periodic allocation cycles (events also trigger cycles).");
DEFINE_double(agent_reregister_timeout, 120, "Seconds admitted agents have to re-register after a master restart.");
DEFINE_double(agent_removal_timeout, 600, "Seconds an unreachable agent may stay away before its tasks are GONE.");
DEFINE_double(offer_timeout, 60, "Seconds after which an offer neither accepted nor declined is rescinded and its "
                                 "resources offered again (so a framework that hangs cannot hold an agent for "
                                 "ever); 0: never.");
DEFINE_int32(max_message_bytes, 16 << 20, "Largest wire message accepted; larger ones are dropped and counted.");
DEFINE_double(registry_max_agent_age, 14 * 24 * 3600,
              "Seconds a removed agent is remembered (and refused if it comes back), as Mesos' "
              "--registry_max_agent_age.");
DEFINE_uint64(registry_max_agent_count, 102400,
              "Removed agents remembered at most (the oldest are forgotten first), as Mesos' "
              "--registry_max_agent_count.");
DEFINE_int32(peer_queue_messages, 1000,
             "Messages read ahead from one agent or framework. Past it the master stops reading that peer "
             "until it has caught up, so that a saturated master pushes back on its senders (TCP flow "
             "control) instead of queueing without bound.");
DEFINE_string(endpoint_file, "", "If set, write the bound ZeroMQ and HTTP addresses here as JSON once listening.");

int main(int argc, char** argv) {
  gflags::SetUsageMessage("agora-master --work_dir=DIR [--port=5050] [--http_port=5055]\n"
                          "Pools the resources of agents and offers them to frameworks.");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  int signals = agora::blockSignalsToFd({SIGINT, SIGTERM});
  std::signal(SIGPIPE, SIG_IGN);
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;
  if (FLAGS_work_dir.empty()) {
    LOG(ERROR) << "--work_dir is required: the master keeps its registry there (e.g. --work_dir=/var/lib/agora/master)";
    return 2;
  }
  // One descriptor per connected agent and framework.
  uint64_t files = agora::raiseOpenFileLimit(65536);
  if (files < 20000) LOG(WARNING) << "The open-file limit is " << files << ": the master can serve about that many "
                                  << "agents and frameworks; raise it (ulimit -n) for a larger cluster";
  std::error_code ec;
  std::filesystem::create_directories(FLAGS_work_dir, ec);
  agora::RealClock clock;
  agora::EventLoop loop(clock);
  auto registry = agora::openRocksDbRegistry(loop, FLAGS_work_dir + "/registry");
  if (registry.isError()) {
    LOG(ERROR) << registry.error() << " (is another master using --work_dir=" << FLAGS_work_dir << "?)";
    return 1;
  }
  zmq::context_t context(1);
  agora::MasterOptions options;
  options.endpoint = "tcp://" + FLAGS_ip + ":" + (FLAGS_port == 0 ? std::string("*") : std::to_string(FLAGS_port));
  options.pingInterval = agora::seconds(FLAGS_ping_interval);
  options.maxMissedPings = static_cast<uint32_t>(FLAGS_max_missed_pings);
  options.allocationInterval = agora::seconds(FLAGS_allocation_interval);
  options.agentReregisterTimeout = agora::seconds(FLAGS_agent_reregister_timeout);
  options.agentRemovalTimeout = agora::seconds(FLAGS_agent_removal_timeout);
  options.limits.maxBytes = static_cast<size_t>(FLAGS_max_message_bytes);
  options.peerQueueMessages = std::max(1, FLAGS_peer_queue_messages);
  options.removedAgentsMaxAge = agora::seconds(std::max(0.0, FLAGS_registry_max_agent_age));
  options.removedAgentsMaxCount = FLAGS_registry_max_agent_count;
  options.offerTimeout = agora::seconds(FLAGS_offer_timeout);
  agora::Master master(context, loop, options, std::move(*registry), agora::makeHierarchicalAllocator(clock));
  auto bound = master.start();
  if (bound.isError()) {
    LOG(ERROR) << bound.error();
    return 1;
  }
  agora::HttpServer http(loop, [&master](const agora::ApiCall& call) { return master.handleApi(call); });
  auto httpPort = http.listen(FLAGS_ip, FLAGS_http_port);
  if (httpPort.isError()) {
    LOG(ERROR) << httpPort.error();
    return 1;
  }
  LOG(INFO) << "HTTP API on http://" << FLAGS_ip << ":" << *httpPort << "/api/v1/state";
  if (!FLAGS_endpoint_file.empty()) {
    std::string tmp = FLAGS_endpoint_file + ".tmp";
    FILE* f = std::fopen(tmp.c_str(), "w");
    if (f) {
      std::fprintf(f, "{\"zmq\":\"%s\",\"http_port\":%d}\n", bound->c_str(), *httpPort);
      std::fclose(f);
      std::filesystem::rename(tmp, FLAGS_endpoint_file, ec);
    }
  }
  loop.watchFd(signals, [&] {
    if (agora::readSignal(signals)) loop.stop();
  });
  loop.run();
  LOG(INFO) << "Master stopping";
  http.stop();
  return 0;
}
