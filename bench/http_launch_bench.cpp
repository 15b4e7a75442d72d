// Launch latency over the HTTP scheduler API (Mesos v1 JSON): from the POST of an ACCEPT to
// the receipt of TASK_RUNNING on the subscription's stream, one task at a time, on a real
// master and agent. The same measure as agora_bench_launch's, which uses the ZeroMQ SDK, so
// the two figures sit side by side.
//
//   agora_bench_http_launch [--tasks=200] [--isolation=auto|cgroups|posix]
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include <gflags/gflags.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "bench/figures.hpp"
#include "tests/support/cluster.hpp"
#include "tests/support/wait.hpp"

DEFINE_int32(tasks, 200, "Tasks to launch one after another.");
DEFINE_string(isolation, "auto", "The agent's --isolation.");

namespace agora::testing {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// The subscription's events, each with the moment it was read off the stream.
class EventStream {
 public:
  struct Event {
    json body;
    Clock::time_point at;
  };

  EventStream(const std::string& master, const json& subscribe) : client_("http://" + master) {
    thread_ = std::thread([this, subscribe] {
      httplib::Request req;
      req.method = "POST";
      req.path = "/api/v1/scheduler";
      req.body = subscribe.dump();
      req.headers.emplace("Content-Type", "application/json");
      req.response_handler = [this](const httplib::Response& r) {
        std::lock_guard<std::mutex> lock(mutex_);
        streamId = r.get_header_value("Mesos-Stream-Id");
        return r.status == 200;
      };
      req.content_receiver = [this](const char* data, size_t size, uint64_t, uint64_t) {
        buffer_.append(data, size);
        for (;;) {
          size_t nl = buffer_.find('\n');
          if (nl == std::string::npos) break;
          size_t length = std::stoul(buffer_.substr(0, nl));
          if (buffer_.size() < nl + 1 + length) break;
          Event e{json::parse(buffer_.substr(nl + 1, length)), Clock::now()};
          buffer_.erase(0, nl + 1 + length);
          std::lock_guard<std::mutex> lock(mutex_);
          events_.push_back(std::move(e));
          ready_.notify_all();
        }
        return !stopping_;
      };
      client_.send(req);
    });
  }
  ~EventStream() {
    stopping_ = true;
    client_.stop();
    thread_.join();
  }

  std::optional<Event> next(std::chrono::seconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!ready_.wait_for(lock, timeout, [&] { return !events_.empty(); })) return std::nullopt;
    Event e = std::move(events_.front());
    events_.pop_front();
    return e;
  }

  std::string streamId;

 private:
  httplib::Client client_;
  std::string buffer_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Event> events_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

void httpLaunchLatency() {
  TestCluster cluster;
  cluster.startMaster();
  cluster.startAgent({"--isolation=" + FLAGS_isolation, "--resources=cpus:4;mem:8192"});
  if (!eventually([&] { return cluster.activeAgents() == 1; })) return;
  std::string used = cluster.state()["agents"][0]["isolation"];
  json subscribe = {{"type", "SUBSCRIBE"},
                    {"subscribe", {{"framework_info", {{"user", "root"}, {"name", "http-launch-bench"}, {"roles", {"*"}}}}}}};
  EventStream stream(cluster.masterHttp(), subscribe);
  httplib::Client calls("http://" + cluster.masterHttp());
  calls.set_keep_alive(true);
  calls.set_tcp_nodelay(true);
  std::string frameworkId;
  auto call = [&](json body) {
    body["framework_id"] = {{"value", frameworkId}};
    auto r = calls.Post("/api/v1/scheduler", httplib::Headers{{"Mesos-Stream-Id", stream.streamId}}, body.dump(),
                        "application/json");
    if (!r || r->status != 202) std::fprintf(stderr, "%s refused: %s\n", body["type"].get<std::string>().c_str(), r ? r->body.c_str() : "no answer");
  };
  std::map<std::string, Clock::time_point> acceptedAt, runningAt;
  int launched = 0;
  bool inFlight = false;
  while (runningAt.size() < static_cast<size_t>(FLAGS_tasks)) {
    std::optional<EventStream::Event> e = stream.next(std::chrono::seconds(30));
    if (!e) {
      std::fprintf(stderr, "no event for 30 s; %zu of %d tasks ran\n", runningAt.size(), FLAGS_tasks);
      return;
    }
    const std::string type = e->body["type"];
    if (type == "SUBSCRIBED") frameworkId = e->body["subscribed"]["framework_id"]["value"];
    if (type == "OFFERS") {
      for (const json& offer : e->body["offers"]["offers"]) {
        if (inFlight || launched == FLAGS_tasks) {
          call({{"type", "DECLINE"}, {"decline", {{"offer_ids", {offer["id"]}}, {"filters", {{"refuse_seconds", 0}}}}}});
          continue;
        }
        std::string id = "t" + std::to_string(launched++);
        json task = {{"name", id}, {"task_id", {{"value", id}}}, {"agent_id", offer["agent_id"]}, {"command", {{"value", "true"}}},
                     {"resources", json::array({{{"name", "cpus"}, {"type", "SCALAR"}, {"scalar", {{"value", 0.01}}}},
                                                {{"name", "mem"}, {"type", "SCALAR"}, {"scalar", {{"value", 8}}}}})}};
        inFlight = true;
        acceptedAt[id] = Clock::now();
        call({{"type", "ACCEPT"},
              {"accept", {{"offer_ids", {offer["id"]}}, {"operations", {{{"type", "LAUNCH"}, {"launch", {{"task_infos", {task}}}}}}}}}});
      }
    }
    if (type == "UPDATE") {
      const json& s = e->body["update"]["status"];
      if (s.contains("uuid"))
        call({{"type", "ACKNOWLEDGE"}, {"acknowledge", {{"agent_id", s["agent_id"]}, {"task_id", s["task_id"]}, {"uuid", s["uuid"]}}}});
      std::string id = s["task_id"]["value"];
      if (s["state"] == "TASK_RUNNING" && !runningAt.count(id)) {
        runningAt[id] = e->at;
        inFlight = false;
        call({{"type", "REVIVE"}});
      }
    }
  }
  std::vector<double> ms;
  for (const auto& [id, at] : runningAt) ms.push_back(std::chrono::duration<double, std::milli>(at - acceptedAt[id]).count());
  std::printf("launch latency over the HTTP scheduler API, accept -> TASK_RUNNING, %d tasks, isolation %s: p50 %.2f ms  "
              "p90 %.2f ms  p99 %.2f ms  max %.2f ms\n",
              FLAGS_tasks, used.c_str(), bench::percentile(ms, 0.5), bench::percentile(ms, 0.9),
              bench::percentile(ms, 0.99), *std::max_element(ms.begin(), ms.end()));
  call({{"type", "TEARDOWN"}});
}

}  // namespace
}  // namespace agora::testing

int main(int argc, char** argv) {
  gflags::SetUsageMessage("agora_bench_http_launch [--tasks=200] [--isolation=auto|cgroups|posix]");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  agora::testing::httpLaunchLatency();
  return 0;
}
