// agora-marathon: keeps long-running services running on an Agora cluster, with Marathon's
// REST API (/v2/apps, /v2/groups, /v2/deployments, /v2/events, ...).
#include <csignal>
#include <filesystem>

#include <gflags/gflags.h>
#include <glog/logging.h>

#include "common/durable_file.hpp"
#include "common/http_server.hpp"
#include "common/signals.hpp"
#include "common/store.hpp"
#include "frameworks/marathon-like/api.hpp"
#include "frameworks/marathon-like/service.hpp"

DEFINE_string(master, "127.0.0.1:5050", "Where the master is: host:port, a comma-separated list of masters, or "
                                        "etcd://HOST:PORT[,HOST:PORT...]/PREFIX where the leading master is published.");
DEFINE_string(work_dir, "", "Directory for agora-marathon's state (RocksDB): apps, versions, deployments, "
                            "instances, events and the framework id. Required.");
DEFINE_string(http_address, "127.0.0.1", "Address the REST API listens on.");
DEFINE_int32(http_port, 8080, "Port of the REST API (Marathon's default); 0 picks a free port.");
DEFINE_string(role, "*", "The role agora-marathon subscribes in; apps take resources of it and of '*'.");
DEFINE_string(framework_name, "marathon", "The framework's name, as the master and its dashboard show it.");
DEFINE_double(failover_timeout, 604800, "Seconds the master keeps this framework's tasks while it is away "
                                        "(a restart, an upgrade), as Marathon's --failover_timeout.");
DEFINE_double(deployment_progress_deadline, 600, "Seconds a deployment may go without progress (an instance "
                                                 "becoming healthy, an old one ending) before it fails with a reason.");
DEFINE_double(max_launches_per_second, 10000, "Launch rate limit: at most this many tasks a second (a token bucket "
                                              "of one second's worth).");
DEFINE_uint32(max_instances_per_offer, 1000, "Instances launched on one agent in one offer round.");
DEFINE_uint64(decline_offer_duration, 120000, "Milliseconds an offer that nothing needs is declined for, as "
                                              "Marathon's flag; apps waiting for resources revive offers at once.");
DEFINE_double(task_launch_timeout, 300, "Seconds a launched task may take to start before it is killed and replaced.");
DEFINE_uint64(event_log_size, 10000, "Events kept for clients that reconnect with Last-Event-ID.");
DEFINE_uint64(max_versions, 50, "Versions of each app kept for rollback, as Marathon's --zk_max_versions.");
DEFINE_string(endpoint_file, "", "If set, write the bound HTTP address here as JSON once listening.");

int main(int argc, char** argv) {
  gflags::SetUsageMessage("agora-marathon --work_dir=DIR [--master=127.0.0.1:5050] [--http_port=8080]\n"
                          "Keeps long-running services running, with Marathon's REST API.");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  int signals = agora::blockSignalsToFd({SIGINT, SIGTERM});
  std::signal(SIGPIPE, SIG_IGN);
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;
  if (FLAGS_work_dir.empty()) {
    LOG(ERROR) << "--work_dir is required: agora-marathon keeps its apps and instances there "
                  "(e.g. --work_dir=/var/lib/agora/marathon)";
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(FLAGS_work_dir, ec);
  auto store = agora::openRocksDbStore(FLAGS_work_dir + "/state");
  if (store.isError()) {
    LOG(ERROR) << store.error() << " (is another agora-marathon using --work_dir=" << FLAGS_work_dir << "?)";
    return 1;
  }
  agora::RealClock clock;
  agora::EventLoop loop(clock);
  agora::marathon::ServiceOptions options;
  options.role = FLAGS_role;
  options.deploymentProgressDeadlineSeconds = FLAGS_deployment_progress_deadline;
  options.maxLaunchesPerSecond = FLAGS_max_launches_per_second;
  options.maxInstancesPerOffer = FLAGS_max_instances_per_offer;
  options.declineSeconds = FLAGS_decline_offer_duration / 1000.0;
  options.eventLogSize = FLAGS_event_log_size;
  options.versionsKept = FLAGS_max_versions;
  agora::marathon::Service service(loop, std::move(*store), options);
  agora::Status recovered = service.recover();
  if (!recovered.ok()) {
    LOG(ERROR) << "Cannot read the state under " << FLAGS_work_dir << ": " << recovered.error();
    return 1;
  }
  agora::marathon::MarathonApi* api = nullptr;
  agora::HttpServer server(loop, [&api](const agora::ApiCall& call) { return api->handle(call); });
  auto port = server.listen(FLAGS_http_address, FLAGS_http_port);
  if (port.isError()) {
    LOG(ERROR) << port.error();
    return 1;
  }
  std::string address = FLAGS_http_address + ":" + std::to_string(*port);
  agora::marathon::MarathonApi marathonApi(service, {address, FLAGS_master});
  api = &marathonApi;

  agora::FrameworkInfo info;
  info.id = service.frameworkId();
  info.name = FLAGS_framework_name;
  info.roles = {FLAGS_role};
  info.failoverTimeoutSeconds = FLAGS_failover_timeout;
  info.hostname = FLAGS_http_address;
  agora::sdk::DriverOptions driverOptions;
  driverOptions.explicitAcknowledgements = true;
  driverOptions.stagingTimeoutSeconds = FLAGS_task_launch_timeout;
  agora::sdk::SchedulerDriver driver(service, info, FLAGS_master, loop, driverOptions);
  service.attach(driver);
  agora::Status started = driver.start();
  if (!started.ok()) {
    LOG(ERROR) << started.error();
    return 1;
  }
  LOG(INFO) << "REST API on http://" << address << "/v2/apps";
  if (!FLAGS_endpoint_file.empty()) {
    agora::Status written = agora::writeFileDurably(FLAGS_endpoint_file, "{\"http\":\"" + address + "\"}\n");
    if (!written.ok()) LOG(WARNING) << "Cannot write --endpoint_file: " << written.error();
  }
  loop.watchFd(signals, [&] {
    if (agora::readSignal(signals)) loop.stop();
  });
  loop.post([&service] { service.settle(); });
  loop.run();
  LOG(INFO) << "agora-marathon stopping; its tasks keep running for --failover_timeout";
  server.stop();
  driver.stop();
  return 0;
}
