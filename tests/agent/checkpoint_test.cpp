#include "agent/checkpoint.hpp"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.hpp"

namespace agora {
namespace {

TaskCheckpoint sample() {
  TaskCheckpoint t;
  t.frameworkId = "fw-1";
  t.framework.id = "fw-1";
  t.framework.name = "web";
  t.info.taskId = "task-1";
  t.info.command.value = "sleep 10";
  (void)t.info.resources.add(Resource::scalar("cpus", 0.5));
  t.state = TaskState::RUNNING;
  t.containerId = "c0ffee";
  t.sandbox = "/work/sandboxes/fw-1/task-1.c0ffee";
  t.supervisor = {4242, 123456789};
  t.taskPid = 4243;
  t.killRequested = true;
  TaskStatus s;
  s.taskId = "task-1";
  s.frameworkId = "fw-1";
  s.state = TaskState::RUNNING;
  s.uuid = "u-1";
  s.exitCode = 3;
  t.pending.push_back(s);
  return t;
}

TEST(CheckpointTest, TaskRecordRoundTrips) {
  Try<TaskCheckpoint> back = decodeCheckpoint(encodeCheckpoint(sample()));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(back->frameworkId, "fw-1");
  EXPECT_EQ(back->framework.name, "web");
  EXPECT_EQ(back->info.command.value, "sleep 10");
  EXPECT_EQ(back->info.resources.scalar("cpus"), 0.5);
  EXPECT_EQ(back->state, TaskState::RUNNING);
  EXPECT_EQ(back->containerId, "c0ffee");
  EXPECT_EQ(back->supervisor.pid, 4242);
  EXPECT_EQ(back->supervisor.startTime, 123456789u);
  EXPECT_EQ(back->taskPid, 4243);
  EXPECT_TRUE(back->killRequested);
  EXPECT_FALSE(back->exitHandled);
  ASSERT_EQ(back->pending.size(), 1u);
  EXPECT_EQ(back->pending[0].uuid, "u-1");
  EXPECT_EQ(back->pending[0].exitCode.value_or(-1), 3);
}

TEST(CheckpointTest, GarbageIsAnErrorNotACrash) {
  EXPECT_FALSE(decodeCheckpoint("").ok());
  EXPECT_FALSE(decodeCheckpoint("seven b").ok());
  std::string bytes = encodeCheckpoint(sample());
  for (size_t i = 0; i < bytes.size(); i += 8) bytes[i] = static_cast<char>(0xff);
  (void)decodeCheckpoint(bytes);  // must not crash, whatever it decides
}

TEST(CheckpointTest, StoreKeepsAgentIdAndTasksAcrossReopen) {
  testing::TempDir dir;
  {
    auto cp = AgentCheckpoint::open(dir.path());
    ASSERT_TRUE(cp.ok()) << cp.error();
    ASSERT_TRUE((*cp)->saveAgentId("agent-7").ok());
    ASSERT_TRUE((*cp)->save(sample()).ok());
    TaskCheckpoint other = sample();
    other.info.taskId = "task-2";
    ASSERT_TRUE((*cp)->save(other).ok());
    ASSERT_TRUE((*cp)->remove("fw-1", "task-2").ok());
  }
  auto cp = AgentCheckpoint::open(dir.path());
  ASSERT_TRUE(cp.ok()) << cp.error();
  EXPECT_EQ((*cp)->agentId()->value_or(""), "agent-7");
  auto tasks = (*cp)->tasks();
  ASSERT_TRUE(tasks.ok()) << tasks.error();
  ASSERT_EQ(tasks->size(), 1u);
  EXPECT_EQ((*tasks)[0].info.taskId, "task-1");
  ASSERT_TRUE((*cp)->clear().ok());
  EXPECT_FALSE((*cp)->agentId()->has_value());
  EXPECT_TRUE((*cp)->tasks()->empty());
}

}  // namespace
}  // namespace agora
