// The agent's /metrics in Prometheus' text format, after real launches.
#include <gtest/gtest.h>

#include <regex>

#include "cli/agent_client.hpp"
#include "tests/support/cli.hpp"
#include "tests/support/cluster.hpp"
#include "tests/support/wait.hpp"

namespace agora::testing {
namespace {

// The value of the sample named `name` (with its labels, if any) in `text`; -1 if absent.
double sample(const std::string& text, const std::string& name) {
  std::regex line("(^|\n)" + std::regex_replace(name, std::regex(R"([{}\"+.])"), R"(\$&)") + " ([0-9.e+-]+)");
  std::smatch m;
  return std::regex_search(text, m, line) ? std::stod(m[2]) : -1;
}

TEST(AgentMetricsTest, CountsLaunchesTheirLatencyAndCheckpoints) {
  TestCluster cluster;
  cluster.startMaster();
  cluster.startAgents(1);
  std::string master = "--master=" + cluster.master();
  ASSERT_EQ(agora(cluster.workDir(), {"run", master, "--", "true"}).first, 0);
  ASSERT_EQ(agora(cluster.workDir(), {"run", master, "--", "exit 2"}).first, 2);
  nlohmann::json state = cluster.state();
  auto agent = cli::findAgent(state, state["agents"][0]["id"]);
  ASSERT_TRUE(agent.ok()) << agent.error();
  std::string text;
  ASSERT_TRUE(eventually([&] {
    auto reply = cli::callAgent(*agent, "/metrics");
    text = reply.ok() ? reply->body : "";
    return sample(text, "agora_agent_status_updates_acknowledged_total") >= 6;
  })) << text;
  EXPECT_EQ(sample(text, "agora_agent_tasks_launched_total"), 2) << text;
  EXPECT_EQ(sample(text, "agora_agent_launch_latency_seconds_count"), 2) << text;
  EXPECT_EQ(sample(text, "agora_agent_launch_latency_seconds_bucket{le=\"+Inf\"}"), 2) << text;
  EXPECT_GT(sample(text, "agora_agent_launch_latency_seconds_sum"), 0) << text;
  EXPECT_GE(sample(text, "agora_agent_checkpoint_writes_total"), 4) << text;
  EXPECT_EQ(sample(text, "agora_agent_checkpoint_writes_failed_total"), 0) << text;
  EXPECT_EQ(sample(text, "agora_agent_launches_failed_total"), 0) << text;
  EXPECT_GE(sample(text, "agora_agent_supervisors"), 0) << text;
  EXPECT_NE(text.find("# TYPE agora_agent_launch_latency_seconds histogram"), std::string::npos) << text;
}

}  // namespace
}  // namespace agora::testing
