#include "bench/sim/master_under_test.hpp"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/transport.hpp"
#include "isolators/proc_stat.hpp"
#include "tests/support/temp_dir.hpp"

namespace agora::sim {

MasterUnderTest::~MasterUnderTest() {
  if (process_.pid() > 0) process_.stop(SIGTERM);
  if (!dir_.empty() && !keep_) std::filesystem::remove_all(dir_);
}

Try<std::string> MasterUnderTest::start() {
  if (!running_.empty()) return tcpEndpoint(running_);
  dir_ = testing::makeTempDir("agora-sim");
  std::string endpointFile = dir_ + "/endpoint.json";
  std::vector<std::string> argv;
  if (cpu_ >= 0) argv = {"taskset", "-c", std::to_string(cpu_)};
  for (std::string a : {std::string(AGORA_MASTER_BIN), "--work_dir=" + dir_ + "/master", std::string("--port=0"),
                        std::string("--http_port=0"), "--endpoint_file=" + endpointFile})
    argv.push_back(a);
  for (const auto& f : flags_) argv.push_back(f);
  // A benchmark killed mid-run takes its master with it.
  auto p = testing::Process::start(argv, dir_ + "/master.log", true);
  if (p.isError()) return Error("cannot start the master: " + p.error());
  process_ = std::move(*p);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!std::filesystem::exists(endpointFile)) {
    if (!process_.running() || std::chrono::steady_clock::now() > deadline)
      return Error("the master did not start; see " + dir_ + "/master.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::ifstream in(endpointFile);
  nlohmann::json endpoint = nlohmann::json::parse(in);
  httpPort_ = endpoint["http_port"].get<int>();
  return endpoint["zmq"].get<std::string>();
}

std::optional<std::pair<double, uint64_t>> MasterUnderTest::usage() const {
  if (process_.pid() <= 0) return std::nullopt;
  auto stat = readProcess(process_.pid());
  if (!stat) return std::nullopt;
  double cpu = static_cast<double>(stat->utimeTicks + stat->stimeTicks) / static_cast<double>(sysconf(_SC_CLK_TCK));
  return std::make_pair(cpu, stat->rssPages * static_cast<uint64_t>(sysconf(_SC_PAGESIZE)));
}

}  // namespace agora::sim
