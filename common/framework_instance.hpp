#pragma once
// How agora-marathon and agora-batch run: alone on RocksDB under --work_dir, or (with --etcd)
// as one of several instances that elect a leader, the standbys redirecting HTTP to it until
// one of them takes over. Either way the HTTP port is bound first, so that a standby is
// reachable (and says who leads) from its start.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/etcd_client.hpp"
#include "common/event_loop.hpp"
#include "common/http_server.hpp"
#include "common/store.hpp"

namespace agora {

struct InstanceOptions {
  std::string name;     // the framework's name; instances elect under it
  std::string workDir;  // the state's RocksDB, without etcd
  std::optional<EtcdTarget> etcd;
  std::chrono::milliseconds leaseTtl = std::chrono::seconds(3);
  std::string httpAddress;
  int httpPort = 0;
  std::string endpointFile;  // the bound HTTP address as JSON, once listening
  HttpServerOptions http{};  // bearer tokens, TLS
};

// The options from a framework's flags: --work_dir is needed without --etcd; a lease shorter
// than etcd grants is refused. `binary` names the program in errors.
Try<InstanceOptions> instanceOptionsFromFlags(const std::string& binary, const std::string& name,
                                              const std::string& workDir, const std::string& etcdUrl,
                                              double leaseTtlSeconds);

// Builds what the leader runs from the framework's state; gives the HTTP handler of its API.
// `abdicate` hands leadership to a standby (Marathon's DELETE /v2/leader); it is empty when
// the instance runs alone.
using LeadFn = std::function<Try<HttpServer::Handler>(std::unique_ptr<Store> state, const std::string& httpAddress,
                                                      std::function<void()> abdicate)>;

// Runs `loop` until SIGINT or SIGTERM (read from `signals`), and returns the exit code. An
// instance that stops leading (deposed, or abdicating) starts afresh as a standby: it
// replaces this process by the same binary with `args`.
int runFrameworkInstance(EventLoop& loop, const InstanceOptions& options, const std::vector<std::string>& args,
                         int signals, LeadFn lead);

}  // namespace agora
