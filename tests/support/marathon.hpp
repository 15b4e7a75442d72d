#pragma once
// agora-marathon as a child process beside a TestCluster, its REST API, and a client of its
// event stream that keeps every event it receives.

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/cluster.hpp"
#include "tests/support/process.hpp"

namespace httplib { class Client; }

namespace agora::testing {

struct HttpResult {
  int status = 0;  // 0: no answer
  std::string body;
  nlohmann::json json;  // the body parsed, or null
  std::map<std::string, std::string> headers;
};

// One request to 127.0.0.1:`port` (a framework's REST API), its body sent as JSON.
HttpResult httpCall(int port, const std::string& method, const std::string& target, const std::string& body = "",
                    const std::map<std::string, std::string>& headers = {});

class MarathonProcess {
 public:
  // Beside `cluster`, in its work dir.
  MarathonProcess(TestCluster& cluster, std::vector<std::string> extraFlags = {})
      : MarathonProcess(cluster.master(), cluster.workDir(), std::move(extraFlags)) {}
  // For the master at host:port `master`, its state and log under `dir`.
  MarathonProcess(std::string master, const std::string& dir, std::vector<std::string> extraFlags = {});
  ~MarathonProcess();

  // Starts it (again, with the same work dir and port) and waits until it is subscribed.
  void start();
  // One of several instances (--etcd): waits only until it answers, leading or not.
  void startStandby();
  // Starts it and returns once it has written its endpoint file, for a test that waits for
  // it its own way (e.g. over HTTPS).
  void launch();
  // Answers as the leading instance, subscribed (a standby redirects).
  bool leads() const;
  void stop(int signal = 9);
  pid_t pid() const { return process_.pid(); }
  int port() const { return port_; }
  const std::string& log() const { return log_; }

  HttpResult call(const std::string& method, const std::string& target, const std::string& body = "",
                  std::map<std::string, std::string> headers = {}) const;
  // GET /v2/apps/{id}'s "app", or null.
  nlohmann::json app(const std::string& id) const;
  // Waits until the app has `running` tasks running (and healthy, if it has health checks)
  // and no deployment.
  bool waitForApp(const std::string& id, int running, std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;

 private:
  std::string master_, dir_;
  std::vector<std::string> flags_;
  std::string workDir_, log_;
  int port_ = 0;
  Process process_;
};

// One event of agora-marathon's /v2/events (its id a number, unlike http_stream_reader's SseEvent).
struct MarathonEvent {
  uint64_t id = 0;
  std::string type;
  nlohmann::json data;
};

class EventClient {
 public:
  // GET /v2/events?{query}, from `lastEventId` if given.
  EventClient(int port, std::optional<uint64_t> lastEventId = std::nullopt, std::string query = "");
  ~EventClient();
  void close();
  std::vector<MarathonEvent> events() const;
  bool waitFor(const std::function<bool(const std::vector<MarathonEvent>&)>& condition,
               std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;

 private:
  void parse();
  std::unique_ptr<httplib::Client> client_;
  std::atomic<bool> closing_{false};
  mutable std::mutex mutex_;
  std::string buffer_;
  std::vector<MarathonEvent> events_;
  std::thread thread_;
};

}  // namespace agora::testing
