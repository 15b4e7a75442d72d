// agora events: follows the master's event stream (/api/v1/events) until Ctrl-C, a line per
// event; it reconnects with the last id it saw when the stream breaks (a master failover).
#include <chrono>
#include <iostream>
#include <thread>

#include <gflags/gflags.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/credentials.hpp"
#include "cli/master_client.hpp"

DECLARE_bool(json);
DEFINE_string(type, "", "agora events: only these event types, comma-separated (e.g. TASK_UPDATED,AGENT_REMOVED).");
DEFINE_int32(max_events, 0, "agora events: stop after this many events (0: follow until Ctrl-C).");

namespace agora::cli {

using nlohmann::json;

namespace {

std::string describe(const json& e) {
  std::string type = e.value("type", "");
  if (e.contains("task"))
    return e["task"].value("id", "") + " (" + e["task"].value("name", "") + ") " + e["task"].value("state", "") + " on " +
           e["task"].value("agent_id", "");
  if (type == "TASK_UPDATED") {
    std::string message = e["status"].value("message", "");
    return e.value("task_id", "") + " " + e.value("state", "") + (message.empty() ? "" : ": " + message);
  }
  if (e.contains("agent")) return e["agent"].value("id", "") + " (" + e["agent"].value("hostname", "") + ")" +
                                  (e["agent"].value("draining", false) ? " draining" : "");
  if (e.contains("framework"))
    return e["framework"].value("id", "") + " '" + e["framework"].value("name", "") + "'" +
           (e["framework"].value("connected", true) ? "" : " disconnected");
  return e.value("agent_id", e.value("framework_id", e.value("message", "")));
}

// Splits the SSE text into events as it comes; `handle` gets (id, data) of each.
class SseParser {
 public:
  template <typename Handle>
  void feed(const char* data, size_t size, Handle&& handle) {
    buffer_.append(data, size);
    for (size_t end; (end = buffer_.find("\n\n")) != std::string::npos;) {
      std::string block = buffer_.substr(0, end);
      buffer_.erase(0, end + 2);
      std::string id, payload;
      size_t start = 0;
      while (start <= block.size()) {
        size_t nl = block.find('\n', start);
        std::string line = block.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
        if (line.rfind("id: ", 0) == 0) id = line.substr(4);
        if (line.rfind("data: ", 0) == 0) payload += (payload.empty() ? "" : "\n") + line.substr(6);
        if (nl == std::string::npos) break;
        start = nl + 1;
      }
      if (!payload.empty()) handle(id, payload);
    }
  }

 private:
  std::string buffer_;
};

}  // namespace

int eventsCommand() {
  std::string lastId;
  int seen = 0;
  for (int attempt = 0;; ++attempt) {
    auto info = callMaster(masterAddress(), "GET", "/api/v1/info");
    std::string http = info.isError() || info->status != 200 ? "" : json::parse(info->body).value("http", "");
    if (http.rfind("http://", 0) != 0) {
      std::cerr << "agora events: cannot find the master's HTTP address at " << masterAddress() << ": "
                << (info.isError() ? info.error() : "its /api/v1/info names none") << "\n";
      if (attempt >= 5) return 1;
      std::this_thread::sleep_for(std::chrono::seconds(1));
      continue;
    }
    httplib::Client client(http);
    authorize(client);
    client.set_read_timeout(60, 0);  // the master sends a heartbeat every 15 s
    std::string target = "/api/v1/events" + (FLAGS_type.empty() ? "" : "?type=" + FLAGS_type);
    httplib::Headers headers;
    if (!lastId.empty()) headers.emplace("Last-Event-ID", lastId);
    SseParser parser;
    bool done = false;
    int status = 0;
    auto result = client.Get(
        target, headers,
        [&](const httplib::Response& response) {
          status = response.status;
          if (status == 200) attempt = 0;  // connected: later failures get their own retries
          return response.status == 200;
        },
        [&](const char* data, size_t size) {
          parser.feed(data, size, [&](const std::string& id, const std::string& payload) {
            if (!id.empty()) lastId = id;
            json e = json::parse(payload, nullptr, false);
            if (FLAGS_json) std::cout << payload << std::endl;
            else if (!e.is_discarded()) std::cout << id << " " << e.value("type", "?") << " " << describe(e) << std::endl;
            if (FLAGS_max_events > 0 && ++seen >= FLAGS_max_events) done = true;
          });
          return !done;
        });
    if (done) return 0;
    if (status != 0 && status != 200) {
      std::cerr << "agora events: the master answered " << status << (status == 400 ? " (is --type right?)" : "") << "\n";
      return 1;
    }
    std::cerr << "agora events: the stream ended (" << httplib::to_string(result.error()) << "); reconnecting\n";
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

}  // namespace agora::cli
