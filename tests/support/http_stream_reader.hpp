#pragma once
// A client of a streaming HTTP answer (server-sent events, the scheduler API's RecordIO) for
// tests: the request runs on a thread of its own and the body gathers as it comes, so that a
// test waits on what has arrived with a deadline.

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace httplib { class Client; }

namespace agora::testing {

class HttpStreamReader {
 public:
  HttpStreamReader(const std::string& hostPort, const std::string& method, const std::string& path,
                   const std::string& body = "", std::map<std::string, std::string> headers = {});
  ~HttpStreamReader();

  // The answer's status once its headers came (waiting up to 10 s), or 0.
  int status();
  std::string header(const std::string& name);
  std::string body() const;
  // Waits until `condition` holds of the body so far, or `timeout` passes.
  bool waitFor(const std::function<bool(const std::string&)>& condition,
               std::chrono::milliseconds timeout = std::chrono::seconds(20)) const;
  // The connection ended (the server closed it).
  bool ended() const { return ended_; }
  // Closes the connection from this side.
  void stop();

 private:
  std::unique_ptr<httplib::Client> client_;
  mutable std::mutex mutex_;
  std::string body_;
  int status_ = 0;
  std::map<std::string, std::string> headers_;
  std::atomic<bool> ended_{false}, stopping_{false};
  std::thread thread_;
};

struct SseEvent {
  std::string id, type;
  nlohmann::json data;
};
// The whole events of a server-sent event stream's text.
std::vector<SseEvent> sseEvents(const std::string& text);
// The whole records of a RecordIO stream ("<bytes>\n<json>"...).
std::vector<nlohmann::json> recordIoEvents(const std::string& text);

}  // namespace agora::testing
