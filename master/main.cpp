// agora-master: pools the agents' resources and offers them to frameworks.
#include <algorithm>
#include <csignal>
#include <filesystem>
#include <vector>


#include <gflags/gflags.h>
#include <glog/logging.h>

#include "common/etcd_store.hpp"
#include "common/file_limit.hpp"
#include "common/ids.hpp"
#include "common/leader_election.hpp"
#include "common/restart.hpp"
#include "common/http_server.hpp"
#include "common/webui.hpp"
#include "common/signals.hpp"
#include "master/master.hpp"

DEFINE_string(ip, "127.0.0.1", "Address to listen on for agents, schedulers (ZeroMQ) and HTTP.");
DEFINE_int32(port, 5050, "ZeroMQ port for agents, schedulers and the CLI; 0 picks a free port.");
DEFINE_int32(http_port, 5055, "HTTP port for /health, /api/v1/state and the dashboard; 0 picks a free port.");
DEFINE_string(work_dir, "", "Directory for the registry (RocksDB). Required without --etcd: the registry must "
                           "survive restarts.");
DEFINE_string(etcd, "", "etcd://HOST:PORT[,HOST:PORT...]/PREFIX: run as one of several masters. Each campaigns "
                        "for leadership on etcd; the leader keeps the registry there (under PREFIX/registry) and "
                        "standbys redirect every peer to it. Without it the master leads alone on RocksDB.");
DEFINE_double(etcd_lease_ttl, 3, "Seconds of the leader's etcd lease: a leader that cannot renew it stops leading "
                                 "within 2/3 of this, and a standby leads at most this long after a leader died.");
DEFINE_string(advertise_ip, "", "The address other processes reach this master at, published in etcd (default: "
                                "--ip).");
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
DEFINE_string(curve_key, "", "The master's CURVE key pair (a .key file from `agora keygen`): the ZeroMQ port then "
                             "admits only peers whose public keys --allow_list names, and encrypts all traffic.");
DEFINE_string(allow_list, "", "With --curve_key: lines 'PRINCIPAL PUBLIC-KEY', the agents', frameworks' and "
                              "operators' keys (see docs/security.md).");
DEFINE_string(acls, "", "An ACL file (JSON, see docs/security.md): per principal, the roles it may subscribe "
                        "frameworks in, the users its tasks may run as, and the operator actions it may take. "
                        "Unset: every principal may everything.");
DEFINE_string(tokens, "", "Bearer tokens for the HTTP API: lines 'TOKEN,PRINCIPAL,SCOPE' (scope read or operator; "
                          "see docs/security.md). Unset: the HTTP API is open.");
DEFINE_string(tls_cert, "", "Serve HTTPS with this certificate (PEM, with its chain); with --tls_key.");
DEFINE_string(tls_key, "", "The private key (PEM) of --tls_cert.");
DEFINE_string(endpoint_file, "", "If set, write the bound ZeroMQ and HTTP addresses here as JSON once listening.");

namespace {

void writeEndpointFile(const std::string& zmq, int httpPort) {
  if (FLAGS_endpoint_file.empty()) return;
  std::string tmp = FLAGS_endpoint_file + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "w");
  if (!f) return;
  std::fprintf(f, "{\"zmq\":\"%s\",\"http_port\":%d}\n", zmq.c_str(), httpPort);
  std::fclose(f);
  std::error_code ec;
  std::filesystem::rename(tmp, FLAGS_endpoint_file, ec);
}

// The CURVE keys, allow-list and ACL the flags name; false (after saying why) if any is wrong.
bool loadSecurity(agora::MasterOptions& options) {
  if (FLAGS_curve_key.empty() != FLAGS_allow_list.empty()) {
    LOG(ERROR) << "--curve_key and --allow_list go together: the master's key pair, and the keys it admits";
    return false;
  }
  if (!FLAGS_curve_key.empty()) {
    auto keys = agora::loadKeyPair(FLAGS_curve_key);
    auto allowList = agora::PrincipalBook::load(FLAGS_allow_list);
    if (keys.isError() || allowList.isError()) {
      LOG(ERROR) << "--curve_key/--allow_list: " << (keys.isError() ? keys.error() : allowList.error());
      return false;
    }
    options.curve = *keys;
    options.allowList = std::make_shared<const agora::PrincipalBook>(std::move(*allowList));
    LOG(INFO) << "CURVE on: " << options.allowList->size() << " keys admitted, master public key " << keys->publicKey;
  }
  if (!FLAGS_acls.empty()) {
    auto acl = agora::Acl::load(FLAGS_acls);
    if (acl.isError()) {
      LOG(ERROR) << "--acls: " << acl.error();
      return false;
    }
    options.acl = std::make_shared<const agora::Acl>(std::move(*acl));
  }
  return true;
}

// Runs the master until it is told to stop, or (with --etcd) until it stops leading; then
// `deposed` says why. Everything it made is gone when it returns.
int serve(const std::optional<agora::EtcdTarget>& etcd, int signals, std::string& deposed) {
  // One descriptor per connected agent and framework.
  uint64_t files = agora::raiseOpenFileLimit(65536);
  if (files < 20000) LOG(WARNING) << "The open-file limit is " << files << ": the master can serve about that many "
                                  << "agents and frameworks; raise it (ulimit -n) for a larger cluster";
  agora::RealClock clock;
  agora::EventLoop loop(clock);
  std::string masterId = agora::newId("master");
  auto depose = [&loop, &deposed](const std::string& why) {
    loop.post([&loop, &deposed, why] {
      if (deposed.empty()) deposed = why;
      loop.stop();
    });
  };
  // The leader's value of its election key, known once it has bound its ports; every
  // registry write checks it.
  auto guardValue = std::make_shared<std::string>();
  std::unique_ptr<agora::Registry> registry;
  if (etcd) {
    auto store = agora::guardStore(agora::openEtcdStore(*etcd, "registry"), etcd->prefix + "/master/leader", guardValue,
                                   [depose] { depose("a registry write found another master's key"); });
    registry = std::make_unique<agora::Registry>(loop, std::move(store));
  } else {
    std::error_code ec;
    std::filesystem::create_directories(FLAGS_work_dir, ec);
    auto opened = agora::openRocksDbRegistry(loop, FLAGS_work_dir + "/registry");
    if (opened.isError()) {
      LOG(ERROR) << opened.error() << " (is another master using --work_dir=" << FLAGS_work_dir << "?)";
      return 1;
    }
    registry = std::move(*opened);
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
  options.masterId = masterId;
  if (!loadSecurity(options)) return 2;
  agora::Master master(context, loop, options, std::move(registry), agora::makeHierarchicalAllocator(clock));
  auto bound = etcd ? master.bind() : master.start();
  if (bound.isError()) {
    LOG(ERROR) << bound.error();
    return 1;
  }
  // Every HTTP scheduler and every open dashboard holds a stream (and its thread).
  agora::HttpServerOptions httpOptions;
  httpOptions.threads = 96;
  httpOptions.maxStreams = 64;
  httpOptions.tlsCert = FLAGS_tls_cert;
  httpOptions.tlsKey = FLAGS_tls_key;
  auto tokens = agora::tokensFromFlag(FLAGS_tokens);
  if (tokens.isError()) {
    LOG(ERROR) << tokens.error();
    return 2;
  }
  httpOptions.tokens = *tokens;
  httpOptions.isPublic = agora::webui::isPublicPath;
  agora::HttpServer http(loop, [&master](const agora::ApiCall& call) { return master.handleApi(call); }, httpOptions);
  auto httpPort = http.listen(FLAGS_ip, FLAGS_http_port);
  if (httpPort.isError()) {
    LOG(ERROR) << httpPort.error();
    return 1;
  }
  std::string httpIp = FLAGS_advertise_ip.empty() ? FLAGS_ip : FLAGS_advertise_ip;
  master.setHttpAddress((FLAGS_tls_cert.empty() ? "http://" : "https://") + httpIp + ":" + std::to_string(*httpPort));
  master.setHttpServer(&http);
  LOG(INFO) << "Dashboard on http://" << httpIp << ":" << *httpPort << "/, HTTP API under /api/v1/";
  std::unique_ptr<agora::LeaderElection> election;
  if (etcd) {
    std::string ip = FLAGS_advertise_ip.empty() ? FLAGS_ip : FLAGS_advertise_ip;
    std::string zmq = "tcp://" + ip + bound->substr(bound->rfind(':'));
    agora::ElectionMember me{masterId, zmq, "http://" + ip + ":" + std::to_string(*httpPort)};
    *guardValue = me.toJson();
    agora::LeaderElection::Events events;
    events.elected = [&](int64_t) {
      agora::Status led = master.lead();
      if (!led.ok()) depose("elected, but " + led.error());
    };
    events.deposed = depose;
    events.leaderChanged = [&masterId](const std::optional<agora::ElectionMember>& leader) {
      if (leader && leader->id != masterId) LOG(INFO) << "Master " << leader->id << " leads at " << leader->zmq;
      if (!leader) LOG(INFO) << "No master leads at the moment";
    };
    agora::ElectionOptions electionOptions;
    electionOptions.ttl = std::chrono::milliseconds(static_cast<int64_t>(FLAGS_etcd_lease_ttl * 1000));
    election = std::make_unique<agora::LeaderElection>(loop, *etcd, electionOptions, me, events);
    master.setElection(election.get());
    election->start();
    LOG(INFO) << "Standing for election on " << FLAGS_etcd << " as " << masterId;
  }
  writeEndpointFile(*bound, *httpPort);
  loop.watchFd(signals, [&] {
    if (agora::readSignal(signals)) loop.stop();
  });
  loop.run();
  if (election) {
    // A planned handover: the lease goes now, so a standby leads within its next round, and
    // the peers go looking for it at once.
    bool led = master.leads();
    election->resign();
    if (led) master.releasePeers(deposed.empty() ? "the leading master is stopping" : "the leading master stepped down");
  }
  http.stop();
  if (!deposed.empty()) LOG(WARNING) << "Master " << masterId << " stopped leading (" << deposed << ")";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv, argv + argc);
  gflags::SetUsageMessage("agora-master --work_dir=DIR [--port=5050] [--http_port=5055]\n"
                          "Pools the resources of agents and offers them to frameworks.");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  int signals = agora::blockSignalsToFd({SIGINT, SIGTERM});
  std::signal(SIGPIPE, SIG_IGN);
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;
  if (FLAGS_work_dir.empty() && FLAGS_etcd.empty()) {
    LOG(ERROR) << "--work_dir is required: the master keeps its registry there (e.g. --work_dir=/var/lib/agora/master); "
                  "or give --etcd=etcd://HOST:PORT/PREFIX to run as one of several masters";
    return 2;
  }
  std::optional<agora::EtcdTarget> etcd;
  if (!FLAGS_etcd.empty()) {
    auto target = agora::parseEtcdUrl(FLAGS_etcd);
    if (target.isError()) {
      LOG(ERROR) << "--etcd: " << target.error();
      return 2;
    }
    if (FLAGS_etcd_lease_ttl < 1) {
      LOG(ERROR) << "--etcd_lease_ttl must be at least 1 second (etcd grants no shorter lease)";
      return 2;
    }
    etcd = *target;
  }
  std::string deposed;
  int rc = serve(etcd, signals, deposed);
  if (!deposed.empty()) {
    LOG(WARNING) << "Restarting as a standby";
    agora::restartSelf(args);
  }
  LOG(INFO) << "Master stopping";
  return rc;
}
