// agora-marathon: keeps long-running services running on an Agora cluster, with Marathon's
// REST API (/v2/apps, /v2/groups, /v2/deployments, /v2/events, ...).
#include <csignal>
#include <memory>

#include <gflags/gflags.h>
#include <glog/logging.h>

#include "common/framework_instance.hpp"
#include "common/signals.hpp"
#include "common/webui.hpp"
#include "frameworks/marathon-like/api.hpp"
#include "frameworks/marathon-like/service.hpp"

DEFINE_string(master, "127.0.0.1:5050", "Where the master is: host:port, a comma-separated list of masters, or "
                                        "etcd://HOST:PORT[,HOST:PORT...]/PREFIX where the leading master is published.");
DEFINE_string(work_dir, "", "Directory for agora-marathon's state (RocksDB): apps, versions, deployments, "
                            "instances, events and the framework id. Required without --etcd.");
DEFINE_string(etcd, "", "etcd://HOST:PORT[,HOST:PORT...]/PREFIX: run as one of several instances. They elect a "
                        "leader on etcd (under PREFIX/framework/NAME); the leader keeps the state there, and the "
                        "others redirect HTTP to it (307) until one of them takes over.");
DEFINE_double(etcd_lease_ttl, 3, "Seconds of the leading instance's etcd lease: a standby takes over at most this "
                                 "long after the leader died.");
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
  std::unique_ptr<agora::marathon::Service> service;
  std::unique_ptr<agora::marathon::MarathonApi> api;
  std::unique_ptr<agora::sdk::SchedulerDriver> driver;
};

agora::marathon::ServiceOptions serviceOptions() {
  agora::marathon::ServiceOptions options;
  options.role = FLAGS_role;
  options.deploymentProgressDeadlineSeconds = FLAGS_deployment_progress_deadline;
  options.maxLaunchesPerSecond = FLAGS_max_launches_per_second;
  options.maxInstancesPerOffer = FLAGS_max_instances_per_offer;
  options.declineSeconds = FLAGS_decline_offer_duration / 1000.0;
  options.eventLogSize = FLAGS_event_log_size;
  options.versionsKept = FLAGS_max_versions;
  return options;
}

agora::Try<agora::HttpServer::Handler> lead(agora::EventLoop& loop, Leading& leading,
                                            std::unique_ptr<agora::Store> state, const std::string& address,
                                            std::function<void()> abdicate) {
  leading.service = std::make_unique<agora::marathon::Service>(loop, std::move(state), serviceOptions());
  agora::Status recovered = leading.service->recover();
  if (!recovered.ok()) return agora::Error("Cannot read agora-marathon's state: " + recovered.error());
  leading.api = std::make_unique<agora::marathon::MarathonApi>(
      *leading.service, agora::marathon::ApiOptions{address, FLAGS_master, std::move(abdicate)});
  agora::FrameworkInfo info;
  info.id = leading.service->frameworkId();
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
      std::make_unique<agora::sdk::SchedulerDriver>(*leading.service, info, FLAGS_master, loop, driverOptions);
  leading.service->attach(*leading.driver);
  agora::Status started = leading.driver->start();
  if (!started.ok()) return agora::Error(started.error());
  LOG(INFO) << "REST API on http://" << address << "/v2/apps";
  loop.post([service = leading.service.get()] { service->settle(); });
  return agora::HttpServer::Handler([api = leading.api.get()](const agora::ApiCall& call) { return api->handle(call); });
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv, argv + argc);
  gflags::SetUsageMessage("agora-marathon --work_dir=DIR [--master=127.0.0.1:5050] [--http_port=8080]\n"
                          "       agora-marathon --etcd=etcd://HOST:PORT/PREFIX [...]   (one of several instances)\n"
                          "Keeps long-running services running, with Marathon's REST API.");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  int signals = agora::blockSignalsToFd({SIGINT, SIGTERM});
  std::signal(SIGPIPE, SIG_IGN);
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;
  auto instance = agora::instanceOptionsFromFlags("agora-marathon", FLAGS_framework_name, FLAGS_work_dir, FLAGS_etcd,
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
  int rc = agora::runFrameworkInstance(loop, *instance, args, signals,
                                       [&](std::unique_ptr<agora::Store> state, const std::string& address,
                                           std::function<void()> abdicate) {
                                         return lead(loop, leading, std::move(state), address, std::move(abdicate));
                                       });
  LOG(INFO) << "agora-marathon stopping; its tasks keep running for --failover_timeout";
  if (leading.driver) leading.driver->stop();
  return rc;
}
