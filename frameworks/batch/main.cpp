// agora-batch: runs jobs to completion on an Agora cluster, on cron schedules and after their
// parents, with Metronome's REST API (/v1/jobs, runs, schedules).
#include <csignal>
#include <filesystem>

#include <gflags/gflags.h>
#include <glog/logging.h>

#include "common/durable_file.hpp"
#include "common/http_server.hpp"
#include "common/signals.hpp"
#include "common/store.hpp"
#include "frameworks/batch/api.hpp"
#include "frameworks/batch/job_scheduler.hpp"

DEFINE_string(master, "127.0.0.1:5050", "Where the master is: host:port, a comma-separated list of masters, or "
                                        "etcd://HOST:PORT[,HOST:PORT...]/PREFIX where the leading master is published.");
DEFINE_string(work_dir, "", "Directory for agora-batch's state (RocksDB): jobs, schedules' cursors, runs and "
                            "their history, dependency state and the framework id. Required.");
DEFINE_string(http_address, "127.0.0.1", "Address the REST API listens on.");
DEFINE_int32(http_port, 9000, "Port of the REST API (Metronome's default); 0 picks a free port.");
DEFINE_string(role, "*", "The role agora-batch subscribes in; jobs take resources of it and of '*'.");
DEFINE_string(framework_name, "batch", "The framework's name, as the master and its dashboard show it.");
DEFINE_double(failover_timeout, 604800, "Seconds the master keeps this framework's tasks while it is away "
                                        "(a restart, an upgrade) before it kills them.");
DEFINE_double(decline_offer_duration, 120, "Seconds an offer that nothing needs is declined for; a run that "
                                           "waits for resources revives offers at once.");
DEFINE_double(revive_ahead, 2, "Seconds before a slot comes due that offers are revived, so its run starts on time.");
DEFINE_double(task_launch_timeout, 300, "Seconds a launched task may take to start before it is killed (and, "
                                        "under restart policy ON_FAILURE, retried).");
DEFINE_string(endpoint_file, "", "If set, write the bound HTTP address here as JSON once listening.");

int main(int argc, char** argv) {
  gflags::SetUsageMessage("agora-batch --work_dir=DIR [--master=127.0.0.1:5050] [--http_port=9000] [--role=batch]\n"
                          "Runs jobs to completion: one-off, parallel and indexed, on cron schedules in any time zone, "
                          "and after their parents; with Metronome's REST API.");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  int signals = agora::blockSignalsToFd({SIGINT, SIGTERM});
  std::signal(SIGPIPE, SIG_IGN);
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;
  if (FLAGS_work_dir.empty()) {
    LOG(ERROR) << "--work_dir is required: agora-batch keeps its jobs and runs there "
                  "(e.g. --work_dir=/var/lib/agora/batch)";
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(FLAGS_work_dir, ec);
  auto store = agora::openRocksDbStore(FLAGS_work_dir + "/state");
  if (store.isError()) {
    LOG(ERROR) << store.error() << " (is another agora-batch using --work_dir=" << FLAGS_work_dir << "?)";
    return 1;
  }
  agora::RealClock clock;
  agora::EventLoop loop(clock);
  agora::batch::SchedulerOptions options;
  options.role = FLAGS_role;
  options.declineSeconds = FLAGS_decline_offer_duration;
  options.reviveAheadSeconds = FLAGS_revive_ahead;
  agora::batch::JobScheduler scheduler(loop, std::move(*store), options);
  agora::Status recovered = scheduler.recover();
  if (!recovered.ok()) {
    LOG(ERROR) << "Cannot read the state under " << FLAGS_work_dir << ": " << recovered.error();
    return 1;
  }
  agora::batch::BatchApi* api = nullptr;
  agora::HttpServer server(loop, [&api](const agora::ApiCall& call) { return api->handle(call); });
  auto port = server.listen(FLAGS_http_address, FLAGS_http_port);
  if (port.isError()) {
    LOG(ERROR) << port.error() << " (another process on port " << FLAGS_http_port << "? give --http_port)";
    return 1;
  }
  std::string address = FLAGS_http_address + ":" + std::to_string(*port);
  agora::batch::BatchApi batchApi(scheduler, {address, FLAGS_master});
  api = &batchApi;

  agora::FrameworkInfo info;
  info.id = scheduler.frameworkId();
  info.name = FLAGS_framework_name;
  info.roles = {FLAGS_role};
  info.failoverTimeoutSeconds = FLAGS_failover_timeout;
  info.hostname = FLAGS_http_address;
  agora::sdk::DriverOptions driverOptions;
  driverOptions.explicitAcknowledgements = true;
  driverOptions.stagingTimeoutSeconds = FLAGS_task_launch_timeout;
  agora::sdk::SchedulerDriver driver(scheduler, info, FLAGS_master, loop, driverOptions);
  scheduler.attach(driver);
  agora::Status started = driver.start();
  if (!started.ok()) {
    LOG(ERROR) << started.error();
    return 1;
  }
  LOG(INFO) << "REST API on http://" << address << "/v1/jobs";
  if (!FLAGS_endpoint_file.empty()) {
    agora::Status written = agora::writeFileDurably(FLAGS_endpoint_file, "{\"http\":\"" + address + "\"}\n");
    if (!written.ok()) LOG(WARNING) << "Cannot write --endpoint_file: " << written.error();
  }
  loop.watchFd(signals, [&] {
    if (agora::readSignal(signals)) loop.stop();
  });
  loop.post([&scheduler] { scheduler.settle(); });
  loop.run();
  LOG(INFO) << "agora-batch stopping; its tasks keep running for --failover_timeout";
  server.stop();
  driver.stop();
  return 0;
}
