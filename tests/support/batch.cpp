#include "tests/support/batch.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/wait.hpp"

namespace agora::testing {

namespace fs = std::filesystem;

BatchProcess::BatchProcess(std::string master, const std::string& dir, std::vector<std::string> extraFlags)
    : master_(std::move(master)), dir_(dir), flags_(std::move(extraFlags)), workDir_(dir + "/batch"),
      log_(dir + "/batch.log") {}

BatchProcess::~BatchProcess() { stop(); }

void BatchProcess::launch() {
  std::string endpoint = dir_ + "/batch-endpoint.json";
  fs::remove(endpoint);
  std::vector<std::string> argv = {AGORA_BATCH_BIN, "--master=" + master_, "--work_dir=" + workDir_,
                                   "--http_port=" + std::to_string(port_), "--endpoint_file=" + endpoint,
                                   "--decline_offer_duration=1"};
  argv.insert(argv.end(), flags_.begin(), flags_.end());
  auto p = Process::start(argv, log_);
  ASSERT_TRUE(p.ok()) << p.error();
  process_ = std::move(*p);
  ASSERT_TRUE(eventually([&] { return fs::exists(endpoint) || !process_.running(); })) << "see " << log_;
  ASSERT_TRUE(process_.running()) << "agora-batch exited; see " << log_;
  std::string http = nlohmann::json::parse(std::ifstream(endpoint))["http"];
  port_ = std::stoi(http.substr(http.rfind(':') + 1));
}

void BatchProcess::start() {
  launch();
  if (::testing::Test::HasFatalFailure()) return;
  ASSERT_TRUE(eventually([&] { return leads(); })) << "agora-batch did not subscribe; see " << log_;
}

void BatchProcess::startStandby() {
  launch();
  if (::testing::Test::HasFatalFailure()) return;
  ASSERT_TRUE(eventually([&] { return call("GET", "/ping").status == 200; })) << "see " << log_;
}

bool BatchProcess::leads() const {
  HttpResult info = call("GET", "/info");
  return info.status == 200 && info.json.value("connectedToMaster", false);
}

void BatchProcess::stop(int signal) {
  if (process_.pid() > 0) process_.stop(signal);
}

nlohmann::json BatchProcess::run(const std::string& jobId, const std::string& runId) const {
  HttpResult r = call("GET", "/v1/jobs/" + jobId + "/runs/" + runId);
  return r.status == 200 ? r.json : nlohmann::json();
}

nlohmann::json BatchProcess::waitForRunEnd(const std::string& jobId, const std::string& runId,
                                           std::chrono::milliseconds timeout) const {
  nlohmann::json last;
  bool ended = eventually(
      [&] {
        last = run(jobId, runId);
        return last.is_object() && (last["status"] == "SUCCESS" || last["status"] == "FAILED");
      },
      timeout);
  return ended ? last : nlohmann::json();
}

}  // namespace agora::testing
