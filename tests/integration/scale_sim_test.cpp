// The scale simulator run small against a real master: what it measures must be true, and
// the master's own counts must agree with the simulator's.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace agora::testing {
namespace {

// Runs agora_sim with `flags` to the end and returns the figures it wrote.
nlohmann::json simulate(std::vector<std::string> flags) {
  TempDir dir("agora-sim-test");
  std::string figures = dir.path() + "/figures.json";
  std::vector<std::string> argv = {AGORA_SIM_BIN, "--master_cpu=-1", "--json_out=" + figures};
  argv.insert(argv.end(), flags.begin(), flags.end());
  auto sim = Process::start(argv, dir.path() + "/sim.log");
  EXPECT_TRUE(sim.ok()) << sim.error();
  if (!sim.ok()) return nullptr;
  EXPECT_TRUE(sim->waitFor(std::chrono::seconds(120)).has_value()) << "the simulator did not finish";
  std::ifstream log(dir.path() + "/sim.log");
  std::string output((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  std::ifstream in(figures);
  EXPECT_TRUE(in.good()) << "no figures; the simulator said:\n" << output;
  if (!in.good()) return nullptr;
  auto json = nlohmann::json::parse(in, nullptr, false);
  EXPECT_TRUE(json.is_object()) << output;
  return json;
}

// Every agent registered and ran tasks, and nothing went wrong on the way.
void expectCleanRun(const nlohmann::json& f, int agents) {
  EXPECT_EQ(f["agents_registered"], agents);
  EXPECT_EQ(f["master_agents_active"], agents);
  EXPECT_GT(f["agent_acknowledgements"].get<int>(), 0);
  EXPECT_EQ(f["tasks_failed"], 0);
  EXPECT_EQ(f["errors"], 0);
  EXPECT_EQ(f["connections_lost"], 0);
  EXPECT_EQ(f["malformed_messages"], 0);
  EXPECT_EQ(f["master_messages_not_sent"], 0);
}

TEST(ScaleSimTest, SimulatedAgentsRegisterAndRunShortTasksThroughTheRealMaster) {
  auto f = simulate({"--agents=300", "--frameworks=2", "--duration=3", "--task_seconds=0.2", "--register_timeout=60"});
  ASSERT_TRUE(f.is_object());
  expectCleanRun(f, 300);
  EXPECT_GT(f["tasks_running"].get<int>(), 100);
  EXPECT_GT(f["tasks_finished"].get<int>(), 0);
  EXPECT_GT(f["launch_p50_ms"].get<double>(), 0);
  EXPECT_GT(f["master_rss_mib"].get<double>(), 0);
}

// The simulator's hand-written CURVE must be the real thing: libzmq on the master's side admits
// each connection through its allow-list and opens every message.
TEST(ScaleSimTest, UnderCurveEverySimulatedConnectionIsSealedAndAdmitted) {
  auto f = simulate({"--curve", "--agents=100", "--duration=2", "--task_seconds=0.2"});
  ASSERT_TRUE(f.is_object());
  expectCleanRun(f, 100);
  // The agents, the framework and the simulator's API connection.
  EXPECT_EQ(f["master_curve_admitted"], 102);
  EXPECT_GT(f["tasks_running"].get<int>(), 50);
}

TEST(ScaleSimTest, LongRunningTasksStayRunningAndTheMasterCountsThem) {
  auto f = simulate({"--agents=50", "--tasks=400", "--task_seconds=-1", "--duration=60"});
  ASSERT_TRUE(f.is_object());
  EXPECT_EQ(f["tasks_launched"], 400);
  EXPECT_EQ(f["tasks_running"], 400);
  EXPECT_EQ(f["tasks_finished"], 0);
  EXPECT_EQ(f["master_tasks_running"], 400);
  // It stopped when all had started, not at the end of the window.
  EXPECT_LT(f["launch_window_seconds"].get<double>(), 60);
}

}  // namespace
}  // namespace agora::testing
