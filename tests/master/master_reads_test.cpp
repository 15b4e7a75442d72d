// The light reads pollers use: /api/v1/tasks (filtered, paginated) and /api/v1/agents.
#include "tests/support/in_process_master.hpp"

namespace agora::testing {
namespace {

class MasterReadsTest : public InProcessMasterTest {
 protected:
  void SetUp() override {
    InProcessMasterTest::SetUp();
    std::string offerId = startAndGetOffer();
    OutboundEnvelope accept;
    auto a = accept.get().initAccept();
    a.setFrameworkId(frameworkId);
    a.initOfferIds(1).set(0, offerId);
    auto launch = a.initOperations(1)[0].initLaunch(3);
    for (unsigned i = 0; i < 3; ++i) {
      TaskInfo t;
      t.taskId = "t" + std::to_string(i);
      t.resources = *Resources::parse("cpus:1;mem:128");
      t.command.value = "sleep 600";
      codec::write(t, launch[i]);
    }
    framework->send(accept);
    ASSERT_TRUE(pump([&] { return metrics()["counters"].value("tasks_launched", 0) == 3; }));
    sendStatus(*agent, "t1", TaskState::RUNNING);
    ASSERT_TRUE(pump([&] { return get("/api/v1/tasks?state=TASK_RUNNING")["total"] == 1; }));
  }

  nlohmann::json get(const std::string& target, int status = 200) {
    ApiReply reply = master->handleApi(parseApiTarget("GET", target, ""));
    EXPECT_EQ(reply.status, status) << target << ": " << reply.body;
    return nlohmann::json::parse(reply.body);
  }

  std::vector<std::string> ids(const nlohmann::json& page) {
    std::vector<std::string> out;
    for (const auto& t : page["tasks"]) out.push_back(t["id"]);
    return out;
  }
};

TEST_F(MasterReadsTest, TasksFilterByStateFrameworkAndId) {
  EXPECT_EQ(ids(get("/api/v1/tasks?state=TASK_RUNNING")), (std::vector<std::string>{"t1"}));
  EXPECT_EQ(ids(get("/api/v1/tasks?state=TASK_STAGING")), (std::vector<std::string>{"t0", "t2"}));
  EXPECT_EQ(get("/api/v1/tasks?framework_id=" + frameworkId)["total"], 3);
  EXPECT_EQ(get("/api/v1/tasks?framework_id=nobody")["total"], 0);
  auto one = get("/api/v1/tasks?framework_id=" + frameworkId + "&task_id=t2");
  ASSERT_EQ(ids(one), (std::vector<std::string>{"t2"}));
  EXPECT_EQ(one["tasks"][0]["framework_id"], frameworkId);
}

TEST_F(MasterReadsTest, TasksArePaginated) {
  auto first = get("/api/v1/tasks?limit=2");
  EXPECT_EQ(ids(first), (std::vector<std::string>{"t0", "t1"}));
  EXPECT_EQ(first["total"], 3);
  EXPECT_EQ(ids(get("/api/v1/tasks?limit=2&offset=2")), (std::vector<std::string>{"t2"}));
  EXPECT_TRUE(get("/api/v1/tasks?offset=10")["tasks"].empty());
  EXPECT_EQ(get("/api/v1/tasks?limit=x", 400)["error"], "offset and limit must be non-negative integers");
  EXPECT_EQ(get("/api/v1/tasks?limit=5000", 400)["error"], "limit is at most 1000");
}

TEST_F(MasterReadsTest, AgentsShowWhatTheirTasksUseWithoutTheWholeState) {
  auto agents = get("/api/v1/agents")["agents"];
  ASSERT_EQ(agents.size(), 1u);
  EXPECT_EQ(agents[0]["id"], agentId);
  EXPECT_EQ(agents[0]["task_count"], 3);
  EXPECT_EQ(agents[0]["used_resources"], (nlohmann::json{{"cpus", 3.0}, {"mem", 384.0}}));
  EXPECT_EQ(agents[0], state()["agents"][0]) << "the light read differs from the state's agent";
}

}  // namespace
}  // namespace agora::testing
