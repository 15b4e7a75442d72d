// agora-batch: runs jobs to completion on an Agora cluster, on cron schedules and after their
// parents, with Metronome's REST API (/v1/jobs, runs, schedules).
#include <csignal>
#include <memory>

#include <gflags/gflags.h>
#include <glog/logging.h>

#include "common/framework_instance.hpp"
#include "common/signals.hpp"
#include "common/webui.hpp"
#include "frameworks/batch/api.hpp"
#include "frameworks/batch/job_scheduler.hpp"

DEFINE_string(master, "127.0.0.1:5050", "Where the master is: host:port, a comma-separated list of masters, or "
                                        "etcd://HOST:PORT[,HOST:PORT...]/PREFIX where the leading master is published.");
DEFINE_string(work_dir, "", "Directory for agora-batch's state (RocksDB): jobs, schedules' cursors, runs and "
                            "their history, dependency state and the framework id. Required without --etcd.");
DEFINE_string(etcd, "", "etcd://HOST:PORT[,HOST:PORT...]/PREFIX: run as one of several instances. They elect a "
                        "leader on etcd (under PREFIX/framework/NAME); the leader keeps the state there, and the "
                        "others redirect HTTP to it (307) until one of them takes over.");
DEFINE_double(etcd_lease_ttl, 3, "Seconds of the leading instance's etcd lease: a standby takes over at most this "
                                 "long after the leader died.");
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
DEFINE_string(curve_key, "", "This framework's CURVE key pair (from `agora keygen`), for a master that admits only "
                             "CURVE peers; with --master_public_key.");
DEFINE_string(master_public_key, "", "The master's CURVE public key: its Z85 text, or its .pub file.");
DEFINE_string(tokens, "", "Bearer tokens for the REST API: lines 'TOKEN,PRINCIPAL,SCOPE' (scope read or operator; see "
                          "docs/security.md). Unset: the API is open.");
DEFINE_string(tls_cert, "", "Serve HTTPS with this certificate (PEM, with its chain); with --tls_key.");
DEFINE_string(tls_key, "", "The private key (PEM) of --tls_cert.");
DEFINE_string(endpoint_file, "", "If set, write the bound HTTP address here as JSON once listening.");


namespace {

// What the leading instance runs, built once it leads (at once without --etcd).
struct Leading {
  std::unique_ptr<agora::batch::JobScheduler> scheduler;
  std::unique_ptr<agora::batch::BatchApi> api;
  std::unique_ptr<agora::sdk::SchedulerDriver> driver;
};

agora::Try<agora::HttpServer::Handler> lead(agora::EventLoop& loop, Leading& leading,
                                            std::unique_ptr<agora::Store> state, const std::string& address) {
  agora::batch::SchedulerOptions options;
  options.role = FLAGS_role;
  options.declineSeconds = FLAGS_decline_offer_duration;
  options.reviveAheadSeconds = FLAGS_revive_ahead;
  leading.scheduler = std::make_unique<agora::batch::JobScheduler>(loop, std::move(state), options);
  agora::Status recovered = leading.scheduler->recover();
  if (!recovered.ok()) return agora::Error("Cannot read agora-batch's state: " + recovered.error());
  leading.api = std::make_unique<agora::batch::BatchApi>(*leading.scheduler, agora::batch::ApiOptions{address, FLAGS_master});
  agora::FrameworkInfo info;
  info.id = leading.scheduler->frameworkId();
  info.name = FLAGS_framework_name;
  info.roles = {FLAGS_role};
  info.failoverTimeoutSeconds = FLAGS_failover_timeout;
  info.hostname = FLAGS_http_address;
  info.webuiUrl = "http://" + address + "/";
  agora::sdk::DriverOptions driverOptions;
  driverOptions.explicitAcknowledgements = true;
  auto curve = agora::loadCurveClient(FLAGS_curve_key, FLAGS_master_public_key);
  if (curve.isError()) return agora::Error(curve.error());
  driverOptions.curve = *curve;
  driverOptions.stagingTimeoutSeconds = FLAGS_task_launch_timeout;
  leading.driver =
      std::make_unique<agora::sdk::SchedulerDriver>(*leading.scheduler, info, FLAGS_master, loop, driverOptions);
  leading.scheduler->attach(*leading.driver);
  agora::Status started = leading.driver->start();
  if (!started.ok()) return agora::Error(started.error());
  LOG(INFO) << "REST API on http://" << address << "/v1/jobs";
  loop.post([scheduler = leading.scheduler.get()] { scheduler->settle(); });
  return agora::HttpServer::Handler([api = leading.api.get()](const agora::ApiCall& call) { return api->handle(call); });
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv, argv + argc);
  gflags::SetUsageMessage("agora-batch --work_dir=DIR [--master=127.0.0.1:5050] [--http_port=9000] [--role=batch]\n"
                          "       agora-batch --etcd=etcd://HOST:PORT/PREFIX [...]   (one of several instances)\n"
                          "Runs jobs to completion: one-off, parallel and indexed, on cron schedules in any time zone, "
                          "and after their parents; with Metronome's REST API.");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  int signals = agora::blockSignalsToFd({SIGINT, SIGTERM});
  std::signal(SIGPIPE, SIG_IGN);
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;
  auto instance = agora::instanceOptionsFromFlags("agora-batch", FLAGS_framework_name, FLAGS_work_dir, FLAGS_etcd,
                                                  FLAGS_etcd_lease_ttl);
  if (instance.isError()) {
    LOG(ERROR) << instance.error();
    return 2;
  }
  instance->httpAddress = FLAGS_http_address;
  instance->httpPort = FLAGS_http_port;
  instance->endpointFile = FLAGS_endpoint_file;
  instance->http.tlsCert = FLAGS_tls_cert;
  instance->http.tlsKey = FLAGS_tls_key;
  auto tokens = agora::tokensFromFlag(FLAGS_tokens);
  if (tokens.isError()) {
    LOG(ERROR) << tokens.error();
    return 2;
  }
  instance->http.tokens = *tokens;
  instance->http.isPublic = agora::webui::isPublicPath;
  agora::RealClock clock;
  agora::EventLoop loop(clock);
  Leading leading;
  int rc = agora::runFrameworkInstance(
      loop, *instance, args, signals,
      [&](std::unique_ptr<agora::Store> state, const std::string& address, std::function<void()>) {
        return lead(loop, leading, std::move(state), address);
      });
  LOG(INFO) << "agora-batch stopping; its tasks keep running for --failover_timeout";
  if (leading.driver) leading.driver->stop();
  return rc;
}
