#include "tests/support/tcp_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <vector>

namespace agora::testing {

namespace {

sockaddr_in loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

// A client's connection and the proxy's own to the target.
struct Pair {
  int client, target;
};

// Moves what one side has to the other; false when either is done.
bool pump(int from, int to) {
  char buffer[64 * 1024];
  ssize_t n = ::recv(from, buffer, sizeof buffer, MSG_DONTWAIT);
  if (n <= 0) return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  for (ssize_t sent = 0; sent < n;) {
    ssize_t m = ::send(to, buffer + sent, static_cast<size_t>(n - sent), MSG_NOSIGNAL);
    if (m <= 0) return false;
    sent += m;
  }
  return true;
}

}  // namespace

TcpProxy::TcpProxy(int listenPort, int targetPort) : listenPort_(listenPort), targetPort_(targetPort) {
  listenFd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listenFd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr = loopback(listenPort_);
  if (::bind(listenFd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listenFd_, 128) != 0)
    throw std::runtime_error("the test proxy cannot listen on port " + std::to_string(listenPort_));
  wakeFd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  thread_ = std::thread([this] { run(); });
}

TcpProxy::~TcpProxy() {
  stopping_ = true;
  uint64_t one = 1;
  (void)!::write(wakeFd_, &one, sizeof one);
  thread_.join();
  ::close(listenFd_);
  ::close(wakeFd_);
}

void TcpProxy::run() {
  std::vector<Pair> pairs;
  auto closeAll = [&] {
    for (const Pair& p : pairs) ::close(p.client), ::close(p.target);
    pairs.clear();
  };
  while (!stopping_) {
    Mode mode = mode_;
    if (mode == Mode::kDrop) closeAll();
    std::vector<pollfd> fds = {{wakeFd_, POLLIN, 0}};
    // Holding: nothing is accepted or read, so whatever is sent waits unanswered.
    bool reading = mode != Mode::kHold;
    fds.push_back({listenFd_, static_cast<short>(reading ? POLLIN : 0), 0});
    for (const Pair& p : pairs) {
      fds.push_back({p.client, static_cast<short>(reading ? POLLIN : 0), 0});
      fds.push_back({p.target, static_cast<short>(reading ? POLLIN : 0), 0});
    }
    ::poll(fds.data(), fds.size(), 50);
    if (fds[0].revents & POLLIN) {
      uint64_t n;
      (void)!::read(wakeFd_, &n, sizeof n);
    }
    if (!reading) continue;
    // A pair accepted below has no entry in fds until the next poll.
    const size_t polled = pairs.size();
    if (fds[1].revents & POLLIN) {
      int client = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client >= 0 && mode == Mode::kDrop) {
        ::close(client);
      } else if (client >= 0) {
        int target = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr = loopback(targetPort_);
        if (::connect(target, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
          pairs.push_back({client, target});
        } else {
          ::close(target);
          ::close(client);
        }
      }
    }
    std::vector<Pair> alive;
    for (size_t i = polled; i < pairs.size(); ++i) alive.push_back(pairs[i]);
    for (size_t i = 0; i < polled; ++i) {
      const pollfd& c = fds[2 + 2 * i];
      const pollfd& t = fds[3 + 2 * i];
      bool ok = true;
      if (c.revents & (POLLIN | POLLHUP | POLLERR)) ok = pump(pairs[i].client, pairs[i].target);
      if (ok && (t.revents & (POLLIN | POLLHUP | POLLERR))) ok = pump(pairs[i].target, pairs[i].client);
      if (ok) {
        alive.push_back(pairs[i]);
      } else {
        ::close(pairs[i].client);
        ::close(pairs[i].target);
      }
    }
    pairs.swap(alive);
  }
  closeAll();
}

}  // namespace agora::testing
