// Three masters electing a leader on a real etcd: the leader SIGKILLed, or stopped with
// SIGTERM (a planned handover); a standby leads, the agent and the framework follow it with
// no operator action, and a task that ran across it is neither killed nor reported twice.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>

#include <httplib.h>

#include "cli/master_client.hpp"

#include "tests/support/cluster.hpp"
#include "tests/support/etcd.hpp"
#include "tests/support/recording_scheduler.hpp"
#include "tests/support/tcp_proxy.hpp"
#include "tests/support/wait.hpp"

namespace agora::testing {
namespace {

// The agents' and the framework's own final updates (not reconciliation answers).
int finalReports(RecordingScheduler& scheduler, const std::string& taskId) {
  int n = 0;
  for (const auto& u : scheduler.updatesFor(taskId)) n += isTerminal(u.state) && u.reason != TaskReason::RECONCILIATION;
  return n;
}

// Starts one agent, subscribes a framework, and runs task `id` on it until the test creates
// `gate` (then it exits with `exitCode`); nothing if any of that failed.
std::unique_ptr<TestFramework> frameworkWithGatedTask(TestCluster& cluster, const std::string& id,
                                                      const std::string& gate, int exitCode = 0) {
  cluster.startAgents(1);
  auto fw = std::make_unique<TestFramework>(cluster.master(), "ha-" + id);
  if (!fw->waitRegistered()) return nullptr;
  fw->scheduler.queue(shellTask(id, "while [ ! -e " + gate + " ]; do sleep 0.05; done; exit " + std::to_string(exitCode)));
  if (!fw->scheduler.waitForState(id, TaskState::RUNNING)) return nullptr;
  return fw;
}

// A task launched now runs to its end: offers flow from whoever leads.
bool launchesAndFinishes(TestFramework& fw, const std::string& id) {
  fw.scheduler.queue(shellTask(id, "exit 0"));
  return fw.scheduler.waitForState(id, TaskState::FINISHED).has_value();
}

// The leader, asked through etcd, names `n` standbys.
bool standbysAre(const TestCluster& cluster, size_t n) {
  auto info = cli::callMaster(cluster.master(), "GET", "/api/v1/info", "", std::chrono::seconds(2));
  if (info.isError()) return false;
  auto j = nlohmann::json::parse(info->body, nullptr, false);
  return j.is_object() && j.contains("standbys") && j["standbys"].size() == n;
}

void failOverAndCheck(int signal) {
  TestCluster cluster;
  TestEtcd etcd(cluster.workDir() + "/etcd", static_cast<int>(cluster.sparePorts()));
  etcd.start();
  cluster.startHaMasters(3, etcd.url(), {"--etcd_lease_ttl=2", "--agent_reregister_timeout=30"});
  std::string gate = cluster.workDir() + "/go";
  auto framework = frameworkWithGatedTask(cluster, "across", gate, 3);
  ASSERT_NE(framework, nullptr);
  TestFramework& fw = *framework;

  int leader = cluster.leadingHaMaster();
  ASSERT_GE(leader, 0);
  auto stopped = std::chrono::steady_clock::now();
  cluster.stopHaMaster(static_cast<size_t>(leader), signal);
  ASSERT_TRUE(eventually([&] {
    int now = cluster.leadingHaMaster();
    return now >= 0 && now != leader;
  })) << "no standby took the lead";
  auto led = std::chrono::steady_clock::now();
  ASSERT_TRUE(eventually([&] { return cluster.activeAgents() == 1; })) << "the agent did not follow the new leader";
  auto agentBack = std::chrono::steady_clock::now();
  ASSERT_TRUE(fw.scheduler.waitFor([&] { return fw.scheduler.reregistrations >= 1; }))
      << "the framework did not follow the new leader";
  auto ms = [&](auto t) { return std::chrono::duration_cast<std::chrono::milliseconds>(t - stopped).count(); };
  std::printf("signal %d: new leader after %lld ms, agent re-registered after %lld ms\n", signal,
              static_cast<long long>(ms(led)), static_cast<long long>(ms(agentBack)));

  // The task ran on through the failover: not killed, not lost.
  {
    std::lock_guard<std::mutex> lock(fw.scheduler.mutex);
    EXPECT_EQ(finalReports(fw.scheduler, "across"), 0) << "the task ended during the failover";
  }
  auto state = cluster.state();
  ASSERT_FALSE(state.is_null());
  ASSERT_EQ(state["tasks"].size(), 1u);
  EXPECT_EQ(state["tasks"][0]["state"], "TASK_RUNNING");

  // Offers flow from the new leader: a new task launches.
  ASSERT_TRUE(launchesAndFinishes(fw, "after"));
  // The task's own end reaches the framework exactly once.
  { std::ofstream(gate) << "go"; }
  ASSERT_TRUE(fw.scheduler.waitFor([&] { return finalReports(fw.scheduler, "across") >= 1; }));
  {
    std::lock_guard<std::mutex> lock(fw.scheduler.mutex);
    EXPECT_EQ(finalReports(fw.scheduler, "across"), 1);
    EXPECT_EQ(fw.scheduler.latest("across")->exitCode.value_or(-1), 3);
  }

  // The old leader, started again, stands by.
  cluster.restartHaMaster(static_cast<size_t>(leader));
  ASSERT_TRUE(eventually([&] { return standbysAre(cluster, 2); })) << "the restarted master did not rejoin as a standby";
  EXPECT_NE(cluster.leadingHaMaster(), leader);
}

// Masters that say they lead, counted on every poll of all of them.
int leadersNow(const TestCluster& cluster) {
  int leading = 0;
  for (size_t i = 0; i < cluster.haMasterCount(); ++i) {
    httplib::Client client(cluster.haMasterHttp(i));
    client.set_connection_timeout(0, 200000);
    client.set_read_timeout(0, 500000);
    auto res = client.Get("/api/v1/info");
    if (!res || res->status != 200) continue;
    auto info = nlohmann::json::parse(res->body, nullptr, false);
    leading += info.is_object() && info.value("leading", false);
  }
  return leading;
}

TEST(HighAvailabilityTest, ALeaderCutOffFromEtcdStepsDownAndNeverLeadsBesideAnother) {
  TestCluster cluster;
  int etcdPort = static_cast<int>(cluster.sparePorts());
  TestEtcd etcd(cluster.workDir() + "/etcd", etcdPort);
  etcd.start();
  // Each master reaches etcd through a proxy of its own, which the test can partition.
  std::vector<std::unique_ptr<TcpProxy>> proxies;
  std::vector<std::string> urls;
  for (int i = 0; i < 3; ++i) {
    proxies.push_back(std::make_unique<TcpProxy>(etcdPort + 2 + i, etcdPort));
    urls.push_back("etcd://127.0.0.1:" + std::to_string(etcdPort + 2 + i) + "/agora");
  }
  cluster.startHaMasters(3, etcd.url(), {"--etcd_lease_ttl=2"}, urls);
  std::string gate = cluster.workDir() + "/go";
  auto framework = frameworkWithGatedTask(cluster, "before", gate);
  ASSERT_NE(framework, nullptr);
  TestFramework& fw = *framework;

  int leader = cluster.leadingHaMaster();
  ASSERT_GE(leader, 0);
  proxies[static_cast<size_t>(leader)]->setMode(TcpProxy::Mode::kHold);
  // Through the whole change of leader, never two at once.
  int most = 0;
  ASSERT_TRUE(eventually([&] {
    int leaders = leadersNow(cluster);
    most = std::max(most, leaders);
    int now = cluster.leadingHaMaster();
    return leaders == 1 && now >= 0 && now != leader;
  }, std::chrono::seconds(30))) << "no other master took the lead";
  EXPECT_EQ(most, 1) << "two masters led at once";

  // The cut-off master's requests held in the partition reach etcd now: a write among them
  // must not land (the guard), and it must not take the lead back.
  proxies[static_cast<size_t>(leader)]->setMode(TcpProxy::Mode::kForward);
  ASSERT_TRUE(eventually([&] { return cluster.activeAgents() == 1; })) << "the agent did not follow";
  ASSERT_TRUE(launchesAndFinishes(fw, "after"));
  { std::ofstream(gate) << "go"; }
  ASSERT_TRUE(fw.scheduler.waitFor([&] { return finalReports(fw.scheduler, "before") >= 1; }));
  ASSERT_TRUE(eventually([&] { return standbysAre(cluster, 2); })) << "the cut-off master did not come back as a standby";
  EXPECT_EQ(leadersNow(cluster), 1);
  std::lock_guard<std::mutex> lock(fw.scheduler.mutex);
  EXPECT_EQ(finalReports(fw.scheduler, "before"), 1);
  EXPECT_EQ(finalReports(fw.scheduler, "after"), 1);
  EXPECT_EQ(fw.scheduler.latest("before")->state, TaskState::FINISHED) << "the task was disturbed by the failover";
}

TEST(HighAvailabilityTest, EtcdKilledAndRestartedMastersWaitThenCarryOn) {
  TestCluster cluster;
  TestEtcd etcd(cluster.workDir() + "/etcd", static_cast<int>(cluster.sparePorts()));
  etcd.start();
  cluster.startHaMasters(3, etcd.url(), {"--etcd_lease_ttl=2"});
  std::string gate = cluster.workDir() + "/go";
  auto framework = frameworkWithGatedTask(cluster, "through", gate);
  ASSERT_NE(framework, nullptr);
  TestFramework& fw = *framework;

  etcd.stop(SIGKILL);
  // Without etcd no master may lead (after the lease at most).
  ASSERT_TRUE(eventually([&] { return leadersNow(cluster) == 0; }, std::chrono::seconds(10)));
  etcd.start();
  ASSERT_TRUE(eventually([&] { return cluster.leadingHaMaster() >= 0; }, std::chrono::seconds(30)));
  ASSERT_TRUE(eventually([&] { return cluster.activeAgents() == 1; })) << "the agent did not come back";
  auto state = cluster.state();
  ASSERT_FALSE(state.is_null());
  ASSERT_EQ(state["frameworks"].size(), 1u) << "the registry lost the framework";
  ASSERT_EQ(state["tasks"].size(), 1u);
  EXPECT_EQ(state["tasks"][0]["state"], "TASK_RUNNING");
  ASSERT_TRUE(launchesAndFinishes(fw, "later"));
  { std::ofstream(gate) << "go"; }
  ASSERT_TRUE(fw.scheduler.waitFor([&] { return finalReports(fw.scheduler, "through") >= 1; }));
  std::lock_guard<std::mutex> lock(fw.scheduler.mutex);
  EXPECT_EQ(finalReports(fw.scheduler, "through"), 1);
}

TEST(HighAvailabilityTest, LeaderSigkilledStandbyLeadsAndPeersFollow) { failOverAndCheck(SIGKILL); }

TEST(HighAvailabilityTest, PlannedHandoverOnSigterm) { failOverAndCheck(SIGTERM); }

TEST(HighAvailabilityTest, StandbysRedirectOverHttpAndReportTheLeader) {
  TestCluster cluster;
  TestEtcd etcd(cluster.workDir() + "/etcd", static_cast<int>(cluster.sparePorts()));
  etcd.start();
  cluster.startHaMasters(2, etcd.url(), {"--etcd_lease_ttl=2"});
  int leader = cluster.leadingHaMaster();
  size_t standby = leader == 0 ? 1 : 0;
  ASSERT_TRUE(eventually([&] {
    httplib::Client client(cluster.haMasterHttp(standby));
    auto res = client.Get("/api/v1/state");
    return res && res->status == 307;
  }));
  httplib::Client client(cluster.haMasterHttp(standby));
  auto res = client.Get("/api/v1/state?x=1");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->get_header_value("Location"), cluster.haMasterHttp(static_cast<size_t>(leader)) + "/api/v1/state?x=1");
  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics && metrics->status == 200);
  EXPECT_NE(metrics->body.find("agora_master_is_leader 0"), std::string::npos);
  httplib::Client leaderClient(cluster.haMasterHttp(static_cast<size_t>(leader)));
  auto leaderMetrics = leaderClient.Get("/metrics");
  ASSERT_TRUE(leaderMetrics && leaderMetrics->status == 200);
  EXPECT_NE(leaderMetrics->body.find("agora_master_is_leader 1"), std::string::npos);
  // Each standby shows once the leader has seen it publish itself (within a round).
  ASSERT_TRUE(eventually([&] { return standbysAre(cluster, 1); }));
  auto info = nlohmann::json::parse(leaderClient.Get("/api/v1/info")->body);
  EXPECT_TRUE(info["leading"].get<bool>());
  EXPECT_GT(info["term"].get<int64_t>(), 0);
  // The CLI's path: a request to the standby's ZeroMQ socket is redirected and answered.
  auto viaStandby = cli::callMaster("127.0.0.1:" + std::to_string(cluster.sparePorts() + 10 + standby), "GET",
                                    "/api/v1/info");
  ASSERT_TRUE(viaStandby.ok()) << viaStandby.error();
  EXPECT_TRUE(nlohmann::json::parse(viaStandby->body)["leading"].get<bool>());
}

}  // namespace
}  // namespace agora::testing
