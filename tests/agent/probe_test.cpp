// One check attempt against real sockets on loopback and real processes.
#include "agent/probe.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "agent/launcher.hpp"

namespace agora {
namespace {

// Listens on a free loopback port; answers each connection with `reply` (or, silent, holds
// it open without a word) until destroyed.
class LoopbackServer {
 public:
  explicit LoopbackServer(std::string reply, bool silent = false) : reply_(std::move(reply)), silent_(silent) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(listen(fd_, 16), 0);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~LoopbackServer() {
    stopping_ = true;
    shutdown(fd_, SHUT_RDWR);
    thread_.join();
    close(fd_);
    for (int c : held_) close(c);
  }
  uint16_t port() const { return port_; }

 private:
  void serve() {
    for (;;) {
      int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) return;
      if (stopping_) {
        close(c);
        return;
      }
      if (silent_) {
        held_.push_back(c);
        continue;
      }
      char buf[2048];
      ssize_t n = recv(c, buf, sizeof buf, 0);
      if (n > 0) (void)!send(c, reply_.data(), reply_.size(), MSG_NOSIGNAL);
      close(c);
    }
  }
  std::string reply_;
  bool silent_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::vector<int> held_;
  std::thread thread_;
};

// A port nothing listens on: bound, closed, not reused at once by the kernel's ephemeral pick.
uint16_t closedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

class ProbeTest : public ::testing::Test {
 protected:
  ProbeResult runProbe(ProbeSpec spec) {
    Probe probe(loop, std::move(spec), [](const std::vector<std::string>& argv) {
      LaunchSpec launch;
      launch.argv = argv;
      launch.workingDirectory = "/";
      launch.stdoutPath = "/dev/null";
      launch.stderrPath = "/dev/null";
      return launchProcess(launch);
    });
    std::optional<ProbeResult> result;
    probe.run([&](const ProbeResult& r) { result = r; });
    EXPECT_FALSE(result.has_value()) << "a result must come from the loop, not from run()";
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!result && std::chrono::steady_clock::now() < deadline) {
      loop.runOnce(std::chrono::milliseconds(10));
      int status = 0;
      pid_t pid;
      while ((pid = waitpid(-1, &status, WNOHANG)) > 0) probe.reaped(pid, status);
    }
    EXPECT_TRUE(result.has_value()) << "the probe never finished";
    return result.value_or(ProbeResult{false, "no result"});
  }

  ProbeSpec http(uint16_t port, std::vector<uint16_t> ok = {}) {
    ProbeSpec s;
    s.kind = CheckKind::HTTP;
    s.port = port;
    s.path = "/health";
    s.timeoutSeconds = 5;
    s.okStatusCodes = std::move(ok);
    return s;
  }

  RealClock clock;
  EventLoop loop{clock};
};

TEST_F(ProbeTest, HttpPassesOn200To399AndFailsOnOthers) {
  LoopbackServer ok("HTTP/1.1 204 No Content\r\n\r\n");
  ProbeResult r = runProbe(http(ok.port()));
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.detail, "GET /health on port " + std::to_string(ok.port()) + " answered 204");

  LoopbackServer redirect("HTTP/1.0 302 Found\r\nLocation: /x\r\n\r\n");
  EXPECT_TRUE(runProbe(http(redirect.port())).ok);

  LoopbackServer broken("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
  r = runProbe(http(broken.port()));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.detail.find("answered 503"), std::string::npos) << r.detail;
}

TEST_F(ProbeTest, HttpWithItsOwnStatusCodes) {
  LoopbackServer server("HTTP/1.1 204 No Content\r\n\r\n");
  EXPECT_FALSE(runProbe(http(server.port(), {200})).ok) << "readiness by default wants 200 itself";
  EXPECT_TRUE(runProbe(http(server.port(), {200, 204})).ok);
}

TEST_F(ProbeTest, HttpFailsOnWhatIsNotHttpOnARefusalAndOnSilence) {
  LoopbackServer garbage("SSH-2.0-OpenSSH\r\n");
  ProbeResult r = runProbe(http(garbage.port()));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.detail.find("not HTTP"), std::string::npos) << r.detail;

  r = runProbe(http(closedPort()));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.detail.find("Connection refused"), std::string::npos) << r.detail;

  LoopbackServer silent("", true);
  ProbeSpec spec = http(silent.port());
  spec.timeoutSeconds = 0.2;
  r = runProbe(spec);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "the check did not complete within its timeout of 0.2 s");
}

TEST_F(ProbeTest, TcpPassesWhenAConnectionOpens) {
  LoopbackServer server("", true);
  ProbeSpec spec;
  spec.kind = CheckKind::TCP;
  spec.port = server.port();
  EXPECT_TRUE(runProbe(spec).ok);
  spec.port = closedPort();
  ProbeResult r = runProbe(spec);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.detail.find("Connection refused"), std::string::npos) << r.detail;
}

TEST_F(ProbeTest, CommandPassesOnExitZeroAndIsKilledAtItsTimeout) {
  ProbeSpec spec;
  spec.kind = CheckKind::COMMAND;
  spec.argv = {"/bin/sh", "-c", "exit 0"};
  EXPECT_TRUE(runProbe(spec).ok);
  spec.argv = {"/bin/sh", "-c", "exit 7"};
  ProbeResult r = runProbe(spec);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "the check command exited with status 7");
  spec.argv = {"/bin/nosuch-check"};
  r = runProbe(spec);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.detail.find("could not start"), std::string::npos) << r.detail;
  spec.argv = {"/bin/sh", "-c", "sleep 600"};
  spec.timeoutSeconds = 0.2;
  r = runProbe(spec);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.detail.find("timeout of 0.2 s"), std::string::npos) << r.detail;
}

}  // namespace
}  // namespace agora
