#include "common/http_server.hpp"

#include <future>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace agora {

ApiReply errorReply(int status, const std::string& message) {
  // The message may quote bytes of the request that are not UTF-8.
  return jsonReply(status, nlohmann::json{{"error", message}});
}

ApiReply jsonReply(int status, const nlohmann::json& body) {
  return {status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json"};
}

ApiCall parseApiTarget(const std::string& method, const std::string& target, std::string body) {
  ApiCall call{method, target, {}, std::move(body)};
  size_t q = target.find('?');
  if (q == std::string::npos) return call;
  call.path = target.substr(0, q);
  std::string rest = target.substr(q + 1);
  size_t start = 0;
  while (start < rest.size()) {
    size_t end = rest.find('&', start);
    if (end == std::string::npos) end = rest.size();
    std::string kv = rest.substr(start, end - start);
    size_t eq = kv.find('=');
    if (eq == std::string::npos) call.query[kv] = "";
    else call.query[kv.substr(0, eq)] = kv.substr(eq + 1);
    start = end + 1;
  }
  return call;
}

HttpServer::HttpServer(EventLoop& loop, Handler handler)
    : loop_(loop), handler_(std::move(handler)), server_(std::make_unique<httplib::Server>()) {
  auto serve = [this](const httplib::Request& req, httplib::Response& res) {
    ApiCall call{req.method, req.path, {}, req.body};
    for (const auto& [k, v] : req.params) call.query[k] = v;
    auto promise = std::make_shared<std::promise<ApiReply>>();
    auto future = promise->get_future();
    loop_.post([this, call, promise] { promise->set_value(handler_(call)); });
    if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
      res.status = 503;
      res.set_content(R"({"error":"the daemon did not answer within 10 s"})", "application/json");
      return;
    }
    ApiReply reply = future.get();
    res.status = reply.status;
    res.set_content(reply.body, reply.contentType.c_str());
  };
  server_->Get(".*", serve);
  server_->Post(".*", serve);
  server_->Put(".*", serve);
  server_->Delete(".*", serve);
}

HttpServer::~HttpServer() { stop(); }

Try<int> HttpServer::listen(const std::string& host, int port) {
  int bound = port == 0 ? server_->bind_to_any_port(host.c_str()) : (server_->bind_to_port(host.c_str(), port) ? port : -1);
  if (bound < 0)
    return Error("cannot listen for HTTP on " + host + ":" + std::to_string(port) +
                 " (is another process using the port?)");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return bound;
}

void HttpServer::stop() {
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

}  // namespace agora
