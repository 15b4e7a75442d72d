#include "common/framework_instance.hpp"

#include <filesystem>

#include <glog/logging.h>

#include "common/durable_file.hpp"
#include "common/framework_leadership.hpp"
#include "common/restart.hpp"
#include "common/signals.hpp"

namespace agora {

namespace {

Try<std::unique_ptr<Store>> openLocalState(const InstanceOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(options.workDir, ec);
  auto store = openRocksDbStore(options.workDir + "/state");
  if (store.isError())
    return Error(store.error() + " (is another " + options.name + " instance using --work_dir=" + options.workDir + "?)");
  return store;
}

}  // namespace

Try<InstanceOptions> instanceOptionsFromFlags(const std::string& binary, const std::string& name,
                                              const std::string& workDir, const std::string& etcdUrl,
                                              double leaseTtlSeconds) {
  InstanceOptions options;
  options.name = name;
  options.workDir = workDir;
  if (etcdUrl.empty()) {
    if (workDir.empty())
      return Error("--work_dir is required: " + binary + " keeps its state there (e.g. --work_dir=/var/lib/agora/" +
                   name + "); or give --etcd=etcd://HOST:PORT/PREFIX to run as one of several instances");
    return options;
  }
  Try<EtcdTarget> target = parseEtcdUrl(etcdUrl);
  if (target.isError()) return Error("--etcd: " + target.error());
  if (leaseTtlSeconds < 1) return Error("--etcd_lease_ttl must be at least 1 second (etcd grants no shorter lease)");
  options.etcd = *target;
  options.leaseTtl = std::chrono::milliseconds(static_cast<int64_t>(leaseTtlSeconds * 1000));
  return options;
}

int runFrameworkInstance(EventLoop& loop, const InstanceOptions& options, const std::vector<std::string>& args,
                         int signals, LeadFn lead) {
  HttpServer::Handler api;  // set once this instance leads
  std::unique_ptr<FrameworkLeadership> leadership;
  HttpServer server(loop, [&](const ApiCall& call) {
    if (api) return api(call);
    if (leadership) return leadership->standbyReply(call);
    return errorReply(503, options.name + " is starting; retry shortly");
  }, options.http);
  Try<int> port = server.listen(options.httpAddress, options.httpPort);
  if (port.isError()) {
    LOG(ERROR) << port.error() << " (another process on port " << options.httpPort << "? give --http_port)";
    return 1;
  }
  const std::string address = options.httpAddress + ":" + std::to_string(*port);
  int rc = 0;
  std::string deposed;
  auto stepDown = [&loop, &deposed](const std::string& why) {
    if (deposed.empty()) deposed = why;
    loop.stop();
  };
  auto becomeLeader = [&](Try<std::unique_ptr<Store>> state, std::function<void()> abdicate) {
    Try<HttpServer::Handler> led = state.isError() ? Try<HttpServer::Handler>(Error(state.error()))
                                                   : lead(std::move(*state), address, std::move(abdicate));
    if (led.isError()) {
      LOG(ERROR) << led.error();
      rc = 1;
      loop.stop();
      return;
    }
    api = std::move(*led);
  };
  if (options.etcd) {
    leadership = std::make_unique<FrameworkLeadership>(
        loop, LeadershipOptions{*options.etcd, options.name, address, options.leaseTtl}, stepDown);
    leadership->start([&] {
      becomeLeader(leadership->openStore(), [&loop, stepDown] {
        loop.post([stepDown] { stepDown("it abdicated"); });
      });
    });
  } else {
    becomeLeader(openLocalState(options), nullptr);
  }
  if (!options.endpointFile.empty()) {
    Status written = writeFileDurably(options.endpointFile, "{\"http\":\"" + address + "\"}\n");
    if (!written.ok()) LOG(WARNING) << "Cannot write --endpoint_file: " << written.error();
  }
  loop.watchFd(signals, [&] {
    if (readSignal(signals)) loop.stop();
  });
  if (rc == 0) loop.run();
  // A planned handover: the lease goes now, and a standby leads within its next round.
  if (leadership) leadership->resign();
  // Closed before the wait below: a client finds the next instance instead of waiting here.
  server.stop();
  if (leadership && !deposed.empty()) leadership->awaitSuccessor(2 * options.leaseTtl);
  if (!deposed.empty()) {
    LOG(WARNING) << "This " << options.name << " instance stopped leading (" << deposed << "); starting afresh as a standby";
    // The same address again (the port was maybe picked at random): peers and the
    // election's members may hold it.
    std::vector<std::string> again = args;
    again.push_back("--http_port=" + std::to_string(*port));
    restartSelf(again);
  }
  return rc;
}

}  // namespace agora
