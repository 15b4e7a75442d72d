// The agent's socket for task supervisors admits only processes of its own user: the kernel's
// SO_PEERCRED, checked by ZeroMQ. A process of another user (a task) is turned away at
// accept; one of the same user is heard.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include <zmq.h>

#include "common/transport.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

namespace agora {
namespace {

// A child process that connects to `endpoint` as `uid` (if not -1) and sends one message;
// returns its wait status.
int sendFromChild(const std::string& endpoint, int uid) {
  pid_t pid = fork();
  if (pid == 0) {
    if (uid >= 0 && (setgid(static_cast<gid_t>(uid)) != 0 || setuid(static_cast<uid_t>(uid)) != 0)) _exit(3);
    void* context = zmq_ctx_new();
    void* dealer = zmq_socket(context, ZMQ_DEALER);
    int linger = 2000;
    zmq_setsockopt(dealer, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(dealer, endpoint.c_str()) != 0) _exit(4);
    zmq_send(dealer, "not an envelope", 15, 0);
    zmq_close(dealer);
    zmq_ctx_term(context);
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

TEST(PeerCredentialsTest, AnIpcSocketAdmitsOnlyItsOwnUser) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to run a child as another user";
  testing::TempDir dir("agora-peercred");
  ::chmod(dir.path().c_str(), 0777);  // so that the other user reaches the socket file at all
  RealClock clock;
  EventLoop loop(clock);
  zmq::context_t context(1);
  MessageSocket router(context, loop, MessageSocket::Kind::kRouter);
  router.admitOnlyUser(geteuid());
  std::string endpoint = "ipc://" + dir.path() + "/agent.sock";
  ASSERT_TRUE(router.bind(endpoint).ok());
  ::chmod((dir.path() + "/agent.sock").c_str(), 0777);
  ASSERT_EQ(sendFromChild(endpoint, 65534), 0);  // nobody
  EXPECT_TRUE(testing::eventually([&] {
    loop.runOnce(std::chrono::milliseconds(10));
    return router.refusedPeers() >= 1;  // it retries while it lingers
  })) << "the other user's connection was not refused";
  EXPECT_EQ(router.malformedCount(), 0u);

  ASSERT_EQ(sendFromChild(endpoint, -1), 0);  // this process's own user
  EXPECT_TRUE(testing::eventually([&] {
    loop.runOnce(std::chrono::milliseconds(10));
    return router.malformedCount() == 1;
  })) << "the own user's message was not heard";
}

}  // namespace
}  // namespace agora
