// agora-supervisor: the supervisor of one task, started by the agent (see supervisor.hpp).
// A binary of its own, linked with only what it uses, because it starts once per task: the
// agent binary's libraries (RocksDB, OpenSSL through the HTTP server) would double the
// task launch latency in dynamic linking alone.
#include <gflags/gflags.h>
#include <glog/logging.h>

#include "agent/supervisor.hpp"

DEFINE_string(meta_dir, "", "The container's meta directory, holding spec.json (written by the agent).");

int main(int argc, char** argv) {
  gflags::SetUsageMessage("agora-supervisor --meta_dir=DIR\n"
                          "Started by agora-agent, one per task: runs the task and reports it to the agent.");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;
  if (FLAGS_meta_dir.empty()) {
    LOG(ERROR) << "--meta_dir is required; agora-supervisor is started by agora-agent, not by hand";
    return 2;
  }
  return agora::runSupervisor(FLAGS_meta_dir);
}
