#include "tests/support/http_stream_reader.hpp"

#include <httplib.h>

#include "tests/support/wait.hpp"

namespace agora::testing {

HttpStreamReader::HttpStreamReader(const std::string& hostPort, const std::string& method, const std::string& path,
                                   const std::string& body, std::map<std::string, std::string> headers)
    : client_(std::make_unique<httplib::Client>("http://" + hostPort)) {
  client_->set_read_timeout(120, 0);
  thread_ = std::thread([this, method, path, body, headers] {
    httplib::Request req;
    req.method = method;
    req.path = path;
    req.body = body;
    for (const auto& [k, v] : headers) req.headers.emplace(k, v);
    if (!body.empty()) req.headers.emplace("Content-Type", "application/json");
    req.response_handler = [this](const httplib::Response& r) {
      std::lock_guard<std::mutex> lock(mutex_);
      status_ = r.status;
      for (const auto& [k, v] : r.headers) headers_[k] = v;
      return true;
    };
    req.content_receiver = [this](const char* data, size_t size, uint64_t, uint64_t) {
      std::lock_guard<std::mutex> lock(mutex_);
      body_.append(data, size);
      return !stopping_;
    };
    client_->send(req);
    ended_ = true;
  });
}

HttpStreamReader::~HttpStreamReader() { stop(); }

void HttpStreamReader::stop() {
  stopping_ = true;
  client_->stop();
  if (thread_.joinable()) thread_.join();
}

int HttpStreamReader::status() {
  eventually([this] {
    std::lock_guard<std::mutex> lock(mutex_);
    return status_ != 0 || ended_;
  }, std::chrono::seconds(10));
  std::lock_guard<std::mutex> lock(mutex_);
  return status_;
}

std::string HttpStreamReader::header(const std::string& name) {
  status();
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = headers_.find(name);
  return it == headers_.end() ? "" : it->second;
}

std::string HttpStreamReader::body() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return body_;
}

bool HttpStreamReader::waitFor(const std::function<bool(const std::string&)>& condition,
                               std::chrono::milliseconds timeout) const {
  return eventually([&] { return condition(body()); }, timeout);
}

std::vector<SseEvent> sseEvents(const std::string& text) {
  std::vector<SseEvent> out;
  size_t start = 0;
  for (size_t end; (end = text.find("\n\n", start)) != std::string::npos; start = end + 2) {
    SseEvent e;
    std::string data;
    size_t line = start;
    while (line < end) {
      size_t nl = std::min(text.find('\n', line), end);
      std::string l = text.substr(line, nl - line);
      if (l.rfind("id: ", 0) == 0) e.id = l.substr(4);
      if (l.rfind("event: ", 0) == 0) e.type = l.substr(7);
      if (l.rfind("data: ", 0) == 0) data += l.substr(6);
      line = nl + 1;
    }
    if (data.empty()) continue;  // a comment (":ok", a heartbeat)
    e.data = nlohmann::json::parse(data, nullptr, false);
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<nlohmann::json> recordIoEvents(const std::string& text) {
  std::vector<nlohmann::json> out;
  size_t at = 0;
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    if (nl == std::string::npos) break;
    size_t size = std::stoul(text.substr(at, nl - at));
    if (nl + 1 + size > text.size()) break;
    out.push_back(nlohmann::json::parse(text.substr(nl + 1, size), nullptr, false));
    at = nl + 1 + size;
  }
  return out;
}

}  // namespace agora::testing
