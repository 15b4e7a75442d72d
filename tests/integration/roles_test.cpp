// Sharing the pool end to end: weights set through the operator API steer real frameworks,
// bad requests change nothing, and what operators set survives a master SIGKILL.
#include <gtest/gtest.h>
#include <signal.h>

#include <map>

#include "cli/master_client.hpp"
#include "tests/support/cli.hpp"
#include "tests/support/cluster.hpp"
#include "tests/support/recording_scheduler.hpp"
#include "tests/support/wait.hpp"

namespace agora::testing {
namespace {

// Takes one cpu of each offer for a long task and hands the rest back at once, so that every
// cpu is placed by a fresh allocation decision.
void oneCpuAtATime(TestFramework& fw, const std::string& prefix, int max) {
  auto launched = std::make_shared<int>(0);
  fw.scheduler.onOffers = [=](sdk::SchedulerDriver& driver, const std::vector<Offer>& offers) {
    for (const Offer& offer : offers) {
      if (*launched >= max || offer.resources.scalar("cpus") < 1) {
        driver.declineOffer(offer.id, 0);
        continue;
      }
      driver.launchTasks({offer.id}, {shellTask(prefix + std::to_string((*launched)++), "exec sleep 1000", 1, 16)}, 0);
    }
  };
}

int runningTasks(RecordingScheduler& s) {
  std::lock_guard<std::mutex> lock(s.mutex);
  std::map<std::string, TaskState> latest;
  for (const auto& u : s.updates) latest[u.taskId] = u.state;
  int n = 0;
  for (const auto& [id, state] : latest) n += state == TaskState::RUNNING;
  return n;
}

nlohmann::json call(TestCluster& cluster, const std::string& method, const std::string& path,
                    const std::string& body, int* status = nullptr) {
  auto reply = cli::callMaster(cluster.master(), method, path, body);
  if (reply.isError()) return nullptr;
  if (status) *status = reply->status;
  return nlohmann::json::parse(reply->body, nullptr, false);
}

nlohmann::json role(TestCluster& cluster, const std::string& name) {
  nlohmann::json all = call(cluster, "GET", "/api/v1/roles", "");
  for (const auto& r : all["roles"])
    if (r["role"] == name) return r;
  return nullptr;
}

TEST(RolesTest, FrameworksInRolesOfWeightOneAndThreeSplitTheCpusOneToThree) {
  TestCluster cluster;
  cluster.startMaster();
  int status = 0;
  call(cluster, "PUT", "/api/v1/roles/heavy/weight", R"({"weight": 3})", &status);
  ASSERT_EQ(status, 200);
  cluster.startAgent({"--resources=cpus:8;mem:4096"});
  ASSERT_TRUE(eventually([&] { return cluster.activeAgents() == 1; }));
  FrameworkInfo light, heavy;
  light.name = "light";
  light.roles = {"light"};
  heavy.name = "heavy";
  heavy.roles = {"heavy"};
  TestFramework a(cluster.master(), light), b(cluster.master(), heavy);
  oneCpuAtATime(a, "l", 8);
  oneCpuAtATime(b, "h", 8);
  ASSERT_TRUE(a.driver->start().ok());
  ASSERT_TRUE(b.driver->start().ok());
  ASSERT_TRUE(eventually([&] { return runningTasks(a.scheduler) + runningTasks(b.scheduler) == 8; }))
      << runningTasks(a.scheduler) << " + " << runningTasks(b.scheduler) << " tasks run";
  // Weighted DRF places each cpu with the role furthest below its share: 2 and 6, give or
  // take the one cpu an offer in flight may shift.
  EXPECT_NEAR(runningTasks(a.scheduler), 2, 1);
  EXPECT_NEAR(runningTasks(b.scheduler), 6, 1);
  auto h = role(cluster, "heavy");
  ASSERT_FALSE(h.is_null());
  EXPECT_EQ(h["weight"], 3);
  EXPECT_EQ(h["frameworks"].size(), 1u);
  // Tasks hold all 8 cpus: they are in use, none offered.
  auto l = role(cluster, "light");
  ASSERT_FALSE(l.is_null());
  EXPECT_EQ(h["used"]["cpus"].get<double>() + l["used"]["cpus"].get<double>(), 8) << h.dump() << l.dump();
  EXPECT_EQ(h["offered"]["cpus"].get<double>() + l["offered"]["cpus"].get<double>(), 0);
}

TEST(RolesTest, BadRequestsAnswer4xxWithTheReasonAndChangeNothing) {
  TestCluster cluster;
  cluster.startMaster();
  cluster.startAgent({"--resources=cpus:4;mem:1024"});
  ASSERT_TRUE(eventually([&] { return cluster.activeAgents() == 1; }));
  struct Case {
    std::string method, path, body, fragment;
    int status;
  } cases[] = {
      {"PUT", "/api/v1/roles/eng/quota", R"({"guarantee": "cpus:64"})", "the cluster has only", 409},
      {"PUT", "/api/v1/roles/eng/quota", R"({"guarantee": "cpus:lots"})", "'guarantee'", 400},
      {"PUT", "/api/v1/roles/eng/quota", R"({"guarantee": "ports:[1-2]"})", "unreserved scalars only", 400},
      {"PUT", "/api/v1/roles/eng/quota", R"({"guarantee": "cpus:2", "limit": "cpus:1"})", "above its limit", 400},
      {"PUT", "/api/v1/roles/eng/quota", "not json", "JSON object", 400},
      {"PUT", "/api/v1/roles/eng/weight", R"({"weight": -1})", "positive number", 400},
      {"PUT", "/api/v1/roles/eng/weight", R"({"weight": "heavy"})", "as a number", 400},
      {"PUT", "/api/v1/roles/eng..x//y/weight", R"({"weight": 2})", "segment", 400},
      {"PUT", "/api/v1/roles/eng/colour", R"({})", "no endpoint", 404},
      {"GET", "/api/v1/roles/eng/weight", "", "answers PUT", 405},
  };
  for (const Case& c : cases) {
    int status = 0;
    auto reply = call(cluster, c.method, c.path, c.body, &status);
    EXPECT_EQ(status, c.status) << c.method << " " << c.path << " " << c.body << ": " << reply.dump();
    EXPECT_NE(reply.dump().find(c.fragment), std::string::npos) << c.path << " " << c.body << ": " << reply.dump();
  }
  EXPECT_TRUE(role(cluster, "eng").is_null()) << "a refused request created the role";
}

TEST(RolesTest, QuotaAndWeightsSurviveAMasterRestart) {
  TestCluster cluster;
  cluster.startMaster();
  cluster.startAgent({"--resources=cpus:4;mem:1024"});
  ASSERT_TRUE(eventually([&] { return cluster.activeAgents() == 1; }));
  std::string master = "--master=" + cluster.master();
  auto [quota, quotaOut] = agora(cluster.workDir(), {"quota", "set", master, "eng/ml", "cpus:2;mem:512", "--limit=cpus:3"});
  EXPECT_EQ(quota, 0) << quotaOut;
  auto [weight, weightOut] = agora(cluster.workDir(), {"weight", master, "ops", "2.5"});
  EXPECT_EQ(weight, 0) << weightOut;

  cluster.stopMaster(SIGKILL);
  cluster.startMaster();
  auto ml = role(cluster, "eng/ml");
  ASSERT_FALSE(ml.is_null()) << "the quota was lost";
  EXPECT_EQ(ml["quota"]["guarantee"]["cpus"], 2);
  EXPECT_EQ(ml["quota"]["guarantee"]["mem"], 512);
  EXPECT_EQ(ml["quota"]["limit"]["cpus"], 3);
  auto ops = role(cluster, "ops");
  ASSERT_FALSE(ops.is_null()) << "the weight was lost";
  EXPECT_EQ(ops["weight"], 2.5);
  auto [table, tableOut] = agora(cluster.workDir(), {"roles", master});
  EXPECT_EQ(table, 0) << tableOut;
  EXPECT_NE(tableOut.find("eng/ml"), std::string::npos) << tableOut;
  EXPECT_NE(tableOut.find("cpus:2;mem:512"), std::string::npos) << tableOut;

  auto [removed, removedOut] = agora(cluster.workDir(), {"quota", "remove", master, "eng/ml"});
  EXPECT_EQ(removed, 0) << removedOut;
  cluster.stopMaster(SIGKILL);
  cluster.startMaster();
  EXPECT_TRUE(role(cluster, "eng/ml").is_null()) << "the removal was lost";
}

TEST(RolesTest, OfferNeitherAcceptedNorDeclinedIsRescindedAfterTheOfferTimeout) {
  TestCluster cluster({"--offer_timeout=0.2"});
  cluster.startMaster();
  cluster.startAgents(1);
  FrameworkInfo info;
  info.name = "sitter";
  TestFramework fw(cluster.master(), info);
  fw.scheduler.onOffers = [](sdk::SchedulerDriver&, const std::vector<Offer>&) {};  // sits on them
  ASSERT_TRUE(fw.driver->start().ok());
  ASSERT_TRUE(fw.scheduler.waitFor([&] { return fw.scheduler.offers.size() >= 2; }))
      << "the resources of a timed-out offer were not offered again";
  std::lock_guard<std::mutex> lock(fw.scheduler.mutex);
  ASSERT_FALSE(fw.scheduler.rescinded.empty());
  EXPECT_EQ(fw.scheduler.rescinded.front(), fw.scheduler.offers.front().offer.id);
  auto delay = fw.scheduler.offers[1].at - fw.scheduler.offers[0].at;
  EXPECT_GE(delay, std::chrono::milliseconds(200)) << "rescinded before the timeout";
}

TEST(RolesTest, SuppressAndReviveWorkPerRoleOverTheWire) {
  TestCluster cluster;
  cluster.startMaster();
  cluster.startAgents(1);
  FrameworkInfo info;
  info.name = "two-roles";
  info.roles = {"alpha", "beta"};
  // Declared before the framework, whose driver thread writes to it until the driver stops.
  std::vector<std::string> roles;
  TestFramework fw(cluster.master(), info);
  // Each offer: suppress its role and hand it back, so that the next one must be for the other.
  fw.scheduler.onOffers = [&](sdk::SchedulerDriver& driver, const std::vector<Offer>& offers) {
    for (const Offer& o : offers) {
      std::unique_lock<std::mutex> lock(fw.scheduler.mutex);
      roles.push_back(o.role);
      if (roles.size() == 1) driver.suppressOffers({o.role});
      if (roles.size() == 2) {
        driver.suppressOffers({o.role});
        driver.reviveOffers({roles.front()});
      }
      driver.declineOffer(o.id, 0);
    }
  };
  ASSERT_TRUE(fw.driver->start().ok());
  ASSERT_TRUE(fw.scheduler.waitFor([&] { return roles.size() >= 3; })) << roles.size() << " offers";
  std::lock_guard<std::mutex> lock(fw.scheduler.mutex);
  EXPECT_NE(roles[0], roles[1]) << "a suppressed role was offered";
  EXPECT_EQ(roles[2], roles[0]) << "the revived role was not offered again";
  EXPECT_TRUE(roles[0] == "alpha" || roles[0] == "beta") << roles[0];
}

// The agent's resources as the master's state shows them, e.g. {"cpus": 2, "cpus(eng)": 2}.
nlohmann::json agentResources(TestCluster& cluster) {
  auto state = cluster.state();
  return state.is_null() || state["agents"].empty() ? nlohmann::json() : state["agents"][0]["resources"];
}

TEST(RolesTest, DynamicReservationGoesOnlyToItsRoleAndSurvivesAMasterRestart) {
  TestCluster cluster;
  cluster.startMaster();
  cluster.startAgent({"--resources=cpus:4;mem:1024"});
  ASSERT_TRUE(eventually([&] { return cluster.activeAgents() == 1; }));
  FrameworkInfo ownerInfo;
  ownerInfo.name = "owner";
  ownerInfo.roles = {"eng"};
  TestFramework owner(cluster.master(), ownerInfo);
  auto reserved = std::make_shared<bool>(false);
  owner.scheduler.onOffers = [reserved](sdk::SchedulerDriver& driver, const std::vector<Offer>& offers) {
    for (const Offer& o : offers) {
      if (*reserved) {
        driver.declineOffer(o.id, 3600);
        continue;
      }
      *reserved = true;
      // One refused operation (a role it is not in), then the real one; the rest goes back.
      driver.acceptOffers({o.id},
                          {sdk::Operation::reserve(*Resources::parse("cpus(ops):1")),
                           sdk::Operation::reserve(*Resources::parse("cpus(eng):2;mem(eng):256"))},
                          3600);
    }
  };
  ASSERT_TRUE(owner.driver->start().ok());
  ASSERT_TRUE(eventually([&] {
    auto r = agentResources(cluster);
    return r.is_object() && r.value("cpus(eng)", 0.0) == 2;
  })) << agentResources(cluster).dump();
  EXPECT_EQ(agentResources(cluster)["cpus"], 2);
  ASSERT_TRUE(owner.scheduler.waitFor([&] { return !owner.scheduler.errors.empty(); }));
  {
    std::lock_guard<std::mutex> lock(owner.scheduler.mutex);
    EXPECT_NE(owner.scheduler.errors.front().find("not one of the framework's roles"), std::string::npos)
        << owner.scheduler.errors.front();
  }

  // Another role's framework is offered the unreserved part only.
  FrameworkInfo otherInfo;
  otherInfo.name = "other";
  otherInfo.roles = {"ops"};
  TestFramework other(cluster.master(), otherInfo);
  other.scheduler.onOffers = [](sdk::SchedulerDriver& driver, const std::vector<Offer>& offers) {
    for (const Offer& o : offers) driver.declineOffer(o.id, 3600);
  };
  ASSERT_TRUE(other.driver->start().ok());
  ASSERT_TRUE(other.scheduler.waitFor([&] { return !other.scheduler.offers.empty(); }));
  {
    std::lock_guard<std::mutex> lock(other.scheduler.mutex);
    for (const auto& o : other.scheduler.offers) {
      EXPECT_TRUE(o.offer.resources.reservedFor("eng").empty()) << o.offer.resources;
      EXPECT_EQ(o.offer.resources.scalar("cpus"), 2) << o.offer.resources;
    }
  }

  cluster.stopMaster(SIGKILL);
  cluster.startMaster();
  ASSERT_TRUE(eventually([&] { return cluster.activeAgents() == 1; }));
  EXPECT_EQ(agentResources(cluster).value("cpus(eng)", 0.0), 2) << "the reservation was lost: "
                                                                 << agentResources(cluster).dump();
  EXPECT_EQ(agentResources(cluster).value("mem(eng)", 0.0), 256);
}

TEST(RolesTest, OperatorReservesAndUnreservesFreeResources) {
  TestCluster cluster;
  cluster.startMaster();
  cluster.startAgent({"--resources=cpus:4;mem:1024"});
  ASSERT_TRUE(eventually([&] { return cluster.activeAgents() == 1; }));
  std::string agentId = cluster.state()["agents"][0]["id"];
  std::string master = "--master=" + cluster.master();
  auto [code, out] = agora(cluster.workDir(), {"reserve", master, agentId, "cpus(eng):3"});
  ASSERT_EQ(code, 0) << out;
  EXPECT_EQ(agentResources(cluster).value("cpus(eng)", 0.0), 3) << agentResources(cluster).dump();
  EXPECT_EQ(agentResources(cluster).value("cpus", 0.0), 1);
  auto [tooMuch, tooMuchOut] = agora(cluster.workDir(), {"reserve", master, agentId, "cpus(eng):2"});
  EXPECT_EQ(tooMuch, 1);
  EXPECT_NE(tooMuchOut.find("free"), std::string::npos) << tooMuchOut;
  auto [noRole, noRoleOut] = agora(cluster.workDir(), {"reserve", master, agentId, "cpus:1"});
  EXPECT_EQ(noRole, 1);
  EXPECT_NE(noRoleOut.find("names no role"), std::string::npos) << noRoleOut;
  auto [notReserved, notReservedOut] = agora(cluster.workDir(), {"unreserve", master, agentId, "cpus(ops):1"});
  EXPECT_EQ(notReserved, 1);
  EXPECT_NE(notReservedOut.find("not (all) dynamically reserved"), std::string::npos) << notReservedOut;

  auto [back, backOut] = agora(cluster.workDir(), {"unreserve", master, agentId, "cpus(eng):3"});
  ASSERT_EQ(back, 0) << backOut;
  EXPECT_EQ(agentResources(cluster).value("cpus", 0.0), 4) << agentResources(cluster).dump();
  EXPECT_FALSE(agentResources(cluster).contains("cpus(eng)"));
}

}  // namespace
}  // namespace agora::testing
