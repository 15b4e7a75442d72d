// The agent's socket for task supervisors admits only processes of its own user: the kernel's
// SO_PEERCRED, checked by ZeroMQ. A process of another user (a task) is turned away at
// accept; one of the same user is heard.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/transport.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

namespace agora {
namespace {

// Runs agora_test_zmq_send, which connects to `endpoint` as `uid` (if not -1) and sends one
// message that is not an envelope; returns its wait status, or -1 if it hung (then killed).
// The child only execs: library code between fork and exec may deadlock on a lock another
// thread held at the fork (seen under ASan).
int sendFromChild(const std::string& endpoint, int uid) {
  std::vector<std::string> args = {AGORA_ZMQ_SEND_BIN};
  if (uid >= 0) args.insert(args.end(), {"--uid", std::to_string(uid)});
  args.insert(args.end(), {endpoint, "not an envelope"});
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  if (testing::eventually([&] { return waitpid(pid, &status, WNOHANG) == pid; }, std::chrono::seconds(30))) {
    return status;
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
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
