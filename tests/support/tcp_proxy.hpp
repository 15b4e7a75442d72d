#pragma once
// A TCP proxy on loopback that a test puts between two parts to partition them: it forwards,
// holds (reads nothing and accepts nothing: the peers' calls time out, as across a network
// that lost its packets), or drops (closes every connection and each new one at once). One
// thread; stopped and joined with the object.

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

namespace agora::testing {

class TcpProxy {
 public:
  enum class Mode { kForward, kHold, kDrop };

  // Listens on 127.0.0.1:`listenPort` and forwards to 127.0.0.1:`targetPort`.
  TcpProxy(int listenPort, int targetPort);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  void setMode(Mode mode) { mode_ = mode; }
  int port() const { return listenPort_; }

 private:
  void run();

  int listenPort_, targetPort_;
  int listenFd_ = -1;
  int wakeFd_ = -1;  // an eventfd: mode changes and the end wake the thread
  std::atomic<Mode> mode_{Mode::kForward};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace agora::testing
