#include "tests/support/marathon.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <fstream>

#include "tests/support/wait.hpp"

namespace agora::testing {

namespace fs = std::filesystem;

MarathonProcess::MarathonProcess(std::string master, const std::string& dir, std::vector<std::string> extraFlags)
    : master_(std::move(master)), dir_(dir), flags_(std::move(extraFlags)), workDir_(dir + "/marathon"),
      log_(dir + "/marathon.log") {}

MarathonProcess::~MarathonProcess() { stop(); }

void MarathonProcess::launch() {
  std::string endpoint = dir_ + "/marathon-endpoint.json";
  fs::remove(endpoint);
  std::vector<std::string> argv = {AGORA_MARATHON_BIN, "--master=" + master_, "--work_dir=" + workDir_,
                                   "--http_port=" + std::to_string(port_), "--endpoint_file=" + endpoint,
                                   "--decline_offer_duration=1000"};
  argv.insert(argv.end(), flags_.begin(), flags_.end());
  auto p = Process::start(argv, log_);
  ASSERT_TRUE(p.ok()) << p.error();
  process_ = std::move(*p);
  ASSERT_TRUE(eventually([&] { return fs::exists(endpoint) || !process_.running(); })) << "see " << log_;
  ASSERT_TRUE(process_.running()) << "agora-marathon exited; see " << log_;
  std::string http = nlohmann::json::parse(std::ifstream(endpoint))["http"];
  port_ = std::stoi(http.substr(http.rfind(':') + 1));
}

void MarathonProcess::start() {
  launch();
  if (::testing::Test::HasFatalFailure()) return;
  ASSERT_TRUE(eventually([&] { return leads(); })) << "agora-marathon did not subscribe; see " << log_;
}

void MarathonProcess::startStandby() {
  launch();
  if (::testing::Test::HasFatalFailure()) return;
  ASSERT_TRUE(eventually([&] { return call("GET", "/ping").status == 200; })) << "see " << log_;
}

bool MarathonProcess::leads() const {
  HttpResult info = call("GET", "/v2/info");
  return info.status == 200 && info.json.value("connected_to_master", false);
}

void MarathonProcess::stop(int signal) {
  if (process_.pid() > 0) process_.stop(signal);
}

HttpResult httpCall(int port, const std::string& method, const std::string& target, const std::string& body,
                    const std::map<std::string, std::string>& headers) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(15, 0);
  httplib::Headers h;
  for (const auto& [k, v] : headers) h.emplace(k, v);
  auto send = [&]() {
    if (method == "POST") return client.Post(target.c_str(), h, body, "application/json");
    if (method == "PUT") return client.Put(target.c_str(), h, body, "application/json");
    if (method == "PATCH") return client.Patch(target.c_str(), h, body, "application/json");
    if (method == "DELETE") return client.Delete(target.c_str(), h);
    return client.Get(target.c_str(), h);
  };
  httplib::Result r = send();
  HttpResult out;
  if (!r) return out;
  out.status = r->status;
  out.body = r->body;
  out.json = nlohmann::json::parse(r->body, nullptr, false);
  if (out.json.is_discarded()) out.json = nullptr;
  for (const auto& [k, v] : r->headers) out.headers[k] = v;
  return out;
}

HttpResult MarathonProcess::call(const std::string& method, const std::string& target, const std::string& body,
                                 std::map<std::string, std::string> headers) const {
  return httpCall(port_, method, target, body, headers);
}

nlohmann::json MarathonProcess::app(const std::string& id) const {
  HttpResult r = call("GET", "/v2/apps" + id);
  return r.status == 200 ? r.json["app"] : nlohmann::json();
}

bool MarathonProcess::waitForApp(const std::string& id, int running, std::chrono::milliseconds timeout) const {
  return eventually(
      [&] {
        nlohmann::json a = app(id);
        if (a.is_null()) return false;
        bool checked = a.contains("healthChecks");
        return a["tasksRunning"] == running && (!checked || a["tasksHealthy"] == running) && a["deployments"].empty() &&
               a["tasks"].size() == static_cast<size_t>(running);
      },
      timeout);
}

EventClient::EventClient(int port, std::optional<uint64_t> lastEventId, std::string query)
    : client_(std::make_unique<httplib::Client>("127.0.0.1", port)) {
  client_->set_read_timeout(120, 0);
  httplib::Headers headers = {{"Accept", "text/event-stream"}};
  if (lastEventId) headers.emplace("Last-Event-ID", std::to_string(*lastEventId));
  std::string target = "/v2/events" + (query.empty() ? "" : "?" + query);
  thread_ = std::thread([this, headers, target] {
    client_->Get(target.c_str(), headers, [this](const char* data, size_t n) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        buffer_.append(data, n);
        parse();
      }
      return !closing_.load();
    });
  });
}

EventClient::~EventClient() { close(); }

void EventClient::close() {
  closing_ = true;
  client_->stop();
  if (thread_.joinable()) thread_.join();
}

void EventClient::parse() {
  size_t end;
  while ((end = buffer_.find("\n\n")) != std::string::npos) {
    std::string frame = buffer_.substr(0, end);
    buffer_.erase(0, end + 2);
    MarathonEvent e;
    std::string data;
    size_t start = 0;
    while (start < frame.size()) {
      size_t nl = frame.find('\n', start);
      if (nl == std::string::npos) nl = frame.size();
      std::string line = frame.substr(start, nl - start);
      start = nl + 1;
      if (line.rfind("event: ", 0) == 0) e.type = line.substr(7);
      else if (line.rfind("id: ", 0) == 0) e.id = std::stoull(line.substr(4));
      else if (line.rfind("data: ", 0) == 0) data += line.substr(6);
    }
    if (e.type.empty()) continue;  // a heartbeat
    e.data = nlohmann::json::parse(data, nullptr, false);
    events_.push_back(std::move(e));
  }
}

std::vector<MarathonEvent> EventClient::events() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return events_;
}

bool EventClient::waitFor(const std::function<bool(const std::vector<MarathonEvent>&)>& condition,
                          std::chrono::milliseconds timeout) const {
  return eventually([&] { return condition(events()); }, timeout);
}

}  // namespace agora::testing
