#include "bench/sim/ha_masters.hpp"

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "common/etcd_client.hpp"
#include "tests/support/temp_dir.hpp"

namespace agora::sim {

HaMasters::HaMasters(int count, int etcdPort, std::vector<std::string> flags)
    : count_(count), etcdPort_(etcdPort), flags_(std::move(flags)) {}

HaMasters::~HaMasters() {
  masters_.clear();  // before etcd: they resign on it
  etcd_.stop(SIGTERM);
  if (!dir_.empty()) std::filesystem::remove_all(dir_);
}

Try<std::vector<std::string>> HaMasters::start() {
  dir_ = testing::makeTempDir("agora-sim-etcd");
  std::string client = "http://127.0.0.1:" + std::to_string(etcdPort_);
  std::string peer = "http://127.0.0.1:" + std::to_string(etcdPort_ + 1);
  auto e = testing::Process::start({"/usr/bin/etcd", "--name=sim", "--data-dir=" + dir_ + "/data",
                                    "--listen-client-urls=" + client, "--advertise-client-urls=" + client,
                                    "--listen-peer-urls=" + peer, "--initial-advertise-peer-urls=" + peer,
                                    "--initial-cluster=sim=" + peer, "--log-level=warn", "--logger=zap"},
                                   dir_ + "/etcd.log", true);
  if (e.isError()) return Error("cannot start etcd: " + e.error());
  etcd_ = std::move(*e);
  std::string url = "etcd://127.0.0.1:" + std::to_string(etcdPort_) + "/agora";
  EtcdClient etcd(*parseEtcdUrl(url), std::chrono::milliseconds(500));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!etcd.range("/agora/ready").ok()) {
    if (!etcd_.running() || std::chrono::steady_clock::now() > deadline)
      return Error("etcd did not answer; see " + dir_ + "/etcd.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::vector<std::string> endpoints;
  for (int i = 0; i < count_; ++i) {
    std::vector<std::string> flags = flags_;
    flags.push_back("--etcd=" + url);
    masters_.push_back(std::make_unique<MasterUnderTest>("", -1, flags));
    Try<std::string> endpoint = masters_.back()->start();
    if (endpoint.isError()) return Error(endpoint.error());
    endpoints.push_back(*endpoint);
  }
  while (leader() < 0) {
    if (std::chrono::steady_clock::now() > deadline) return Error("no master took the lead within 30 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return endpoints;
}

int HaMasters::leader() const {
  for (size_t i = 0; i < masters_.size(); ++i) {
    if (masters_[i]->httpPort() == 0) continue;
    httplib::Client client("127.0.0.1", masters_[i]->httpPort());
    client.set_connection_timeout(0, 200000);
    client.set_read_timeout(2, 0);
    auto res = client.Get("/api/v1/info");
    if (!res || res->status != 200) continue;
    auto info = nlohmann::json::parse(res->body, nullptr, false);
    if (info.is_object() && info.value("leading", false)) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace agora::sim
