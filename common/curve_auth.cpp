#include "common/curve_auth.hpp"

#include <chrono>
#include <unordered_map>
#include <vector>

#include <glog/logging.h>

namespace agora {

namespace {

// Refusals of one key are logged once a minute: a misconfigured agent retries every second.
bool shouldLog(const std::string& key) {
  static thread_local std::unordered_map<std::string, std::chrono::steady_clock::time_point> last;
  auto now = std::chrono::steady_clock::now();
  auto it = last.find(key);
  if (it != last.end() && now - it->second < std::chrono::minutes(1)) return false;
  if (last.size() > 10000) last.clear();
  last[key] = now;
  return true;
}

}  // namespace

CurveAuthenticator::CurveAuthenticator(zmq::context_t& context, std::shared_ptr<const PrincipalBook> allowList)
    : socket_(context, zmq::socket_type::rep), allowList_(std::move(allowList)) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.bind("inproc://zeromq.zap.01");
  thread_ = std::thread([this] { serve(); });
}

CurveAuthenticator::~CurveAuthenticator() {
  stop_ = true;
  thread_.join();
}

void CurveAuthenticator::serve() {
  while (!stop_) {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    try {
      if (zmq::poll(&item, 1, std::chrono::milliseconds(100)) > 0) answer(socket_);
    } catch (const zmq::error_t& e) {
      if (e.num() == ETERM) return;
      LOG(ERROR) << "CURVE authentication: " << e.what();
    }
  }
}

void CurveAuthenticator::answer(zmq::socket_t& socket) {
  // version, request id, domain, address, routing id, mechanism, credentials...
  std::vector<zmq::message_t> request;
  do {
    request.emplace_back();
    if (!socket.recv(request.back(), zmq::recv_flags::none)) return;
  } while (request.back().more());
  std::string status = "400", text = "malformed authentication request", principal;
  if (request.size() >= 7 && request[0].to_string() == "1.0" && request[5].to_string() == "CURVE" &&
      request[6].size() == 32) {
    char z85[41];
    zmq_z85_encode(z85, request[6].data<uint8_t>(), 32);
    std::optional<std::string> found = allowList_->principalOf(z85);
    if (found) {
      status = "200", text = "OK", principal = *found;
      ++admitted_;
    } else {
      text = "this key is not in the master's allow-list";
      ++refused_;
      if (shouldLog(z85))
        LOG(WARNING) << "Refused a connection from " << request[3].to_string() << ": its public key " << z85
                     << " is not in the allow-list (" << refused_ << " refused in total)";
    }
  } else {
    ++refused_;
    if (request.size() >= 6) text = "only CURVE connections are admitted, not " + request[5].to_string();
  }
  std::string version = "1.0", requestId = request.size() > 1 ? request[1].to_string() : "";
  socket.send(zmq::buffer(version), zmq::send_flags::sndmore);
  socket.send(zmq::buffer(requestId), zmq::send_flags::sndmore);
  socket.send(zmq::buffer(status), zmq::send_flags::sndmore);
  socket.send(zmq::buffer(text), zmq::send_flags::sndmore);
  socket.send(zmq::buffer(principal), zmq::send_flags::sndmore);
  socket.send(zmq::message_t(), zmq::send_flags::none);
}

}  // namespace agora
