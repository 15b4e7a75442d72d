// Deployment planning and the rolling-restart arithmetic.
#include <gtest/gtest.h>

#include "frameworks/marathon-like/deployment_plan.hpp"
#include "frameworks/marathon-like/rolling.hpp"

namespace agora::marathon {
namespace {

AppDefinition app(const std::string& id, uint32_t instances = 1, std::vector<std::string> deps = {},
                  std::string cmd = "run") {
  AppDefinition a;
  a.id = id;
  a.cmd = cmd;
  a.instances = instances;
  a.dependencies = std::move(deps);
  a.versionInfo.lastConfigChangeAt = "v1";
  return a;
}

AppMap apps(std::initializer_list<AppDefinition> list) {
  AppMap m;
  for (const auto& a : list) m[a.id] = a;
  return m;
}

// "Start /a, Start /b | Scale /c" for the steps.
std::string describe(const std::vector<DeploymentStep>& steps) {
  std::string out;
  for (const DeploymentStep& s : steps) {
    if (!out.empty()) out += " | ";
    for (size_t i = 0; i < s.actions.size(); ++i)
      out += (i ? ", " : "") + std::string(actionName(s.actions[i].kind)) + " " + s.actions[i].appId;
  }
  return out;
}

TEST(DeploymentPlanTest, IndependentAppsDeployInOneStep) {
  auto steps = planSteps({}, apps({app("/a"), app("/b"), app("/c")}));
  ASSERT_TRUE(steps.ok());
  EXPECT_EQ(describe(*steps), "StartApplication /a, StartApplication /b, StartApplication /c");
}

TEST(DeploymentPlanTest, DependenciesOrderTheSteps) {
  auto steps = planSteps({}, apps({app("/web", 1, {"/api"}), app("/api", 1, {"/db"}), app("/db"), app("/cache")}));
  ASSERT_TRUE(steps.ok());
  EXPECT_EQ(describe(*steps), "StartApplication /cache, StartApplication /db | StartApplication /api | StartApplication /web");
}

TEST(DeploymentPlanTest, AGroupDependencyMeansEveryAppOfIt) {
  auto steps = planSteps({}, apps({app("/front/web", 1, {"/back"}), app("/back/db"), app("/back/queue")}));
  ASSERT_TRUE(steps.ok());
  EXPECT_EQ(describe(*steps), "StartApplication /back/db, StartApplication /back/queue | StartApplication /front/web");
}

TEST(DeploymentPlanTest, StopsComeFirstInReverseDependencyOrder) {
  AppMap before = apps({app("/web", 1, {"/db"}), app("/db"), app("/keep")});
  auto steps = planSteps(before, apps({app("/keep", 3)}));
  ASSERT_TRUE(steps.ok());
  EXPECT_EQ(describe(*steps), "StopApplication /web | StopApplication /db | ScaleApplication /keep");
}

TEST(DeploymentPlanTest, ConfigChangesRestartAndCountChangesScale) {
  AppMap before = apps({app("/a", 2), app("/b", 2), app("/c", 2)});
  AppDefinition changed = app("/b", 2, {}, "run --new");
  changed.versionInfo.lastConfigChangeAt = "v2";
  auto steps = planSteps(before, apps({app("/a", 4), changed, app("/c", 2)}));
  ASSERT_TRUE(steps.ok());
  EXPECT_EQ(describe(*steps), "ScaleApplication /a, RestartApplication /b");
  AppDefinition restarted = app("/c", 2);
  restarted.versionInfo.lastConfigChangeAt = "v2";  // POST /restart: same definition, new tasks
  EXPECT_EQ(describe(*planSteps(before, apps({app("/a", 2), app("/b", 2), restarted}))), "RestartApplication /c");
}

TEST(DeploymentPlanTest, ACycleIsRefusedAndNamed) {
  auto steps = planSteps({}, apps({app("/a", 1, {"/b"}), app("/b", 1, {"/a"})}));
  ASSERT_TRUE(steps.isError());
  EXPECT_NE(steps.error().find("Dependency graph has cyclic dependencies"), std::string::npos) << steps.error();
}

TEST(DeploymentPlanTest, RecordsRoundTrip) {
  Deployment d;
  d.id = "d1";
  d.version = "v";
  d.affectedApps = {"/a"};
  d.steps = *planSteps({}, apps({app("/a")}));
  d.target = apps({app("/a")});
  d.currentStep = 0;
  Try<Deployment> back = deploymentFromRecord(deploymentRecord(d));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(describe(back->steps), describe(d.steps));
  EXPECT_EQ(back->target.at("/a").instances, 1u);
  EXPECT_EQ(deploymentToJson(d)["currentStep"], 1);
  EXPECT_EQ(deploymentToJson(d)["totalSteps"], 1);
}

UpgradeStrategy strategy(double minHealth, double maxOver) { return {minHealth, maxOver}; }

TEST(RollingTest, HalfHealthyKillsHalfAtOnceAndStartsWithinCapacity) {
  RollingCounts c{4, 4, 0, 0, 0};
  RollingMove m = rollingMove(c, strategy(0.5, 0));
  EXPECT_EQ(m.killOld, 2u);
  EXPECT_EQ(m.launchNew, 0u) << "the killed ones still hold their place until they end";
  m = rollingMove({4, 2, 0, 0, 0}, strategy(0.5, 0));
  EXPECT_EQ(m.killOld, 0u);
  EXPECT_EQ(m.launchNew, 2u);
  m = rollingMove({4, 2, 0, 2, 1}, strategy(0.5, 0));
  EXPECT_EQ(m.killOld, 1u) << "one new healthy instance frees one old one";
  EXPECT_EQ(m.launchNew, 0u);
  EXPECT_TRUE(rollingMove({4, 0, 0, 4, 4}, strategy(0.5, 0)).done);
}

TEST(RollingTest, NeverBelowMinimumHealthy) {
  // Every state of a restart of 10 with 0.9 / 0.1: what is left after the kills stays healthy.
  UpgradeStrategy s = strategy(0.9, 0.1);
  for (uint32_t old = 0; old <= 10; ++old)
    for (uint32_t healthy = 0; healthy <= 10 - old; ++healthy) {
      RollingMove m = rollingMove({10, old, 0, healthy, healthy}, s);
      EXPECT_GE(old - m.killOld + healthy, std::min<uint32_t>(9, old + healthy)) << old << " old, " << healthy << " new";
      EXPECT_LE(old - m.killOld + healthy + m.launchNew, 11u) << "over capacity";
    }
}

TEST(RollingTest, NoRoomAtAllGoesOneOverCapacityAsMarathonDoes) {
  RollingMove m = rollingMove({3, 3, 0, 0, 0}, strategy(1, 0));
  EXPECT_EQ(m.killOld, 0u) << "healthy never drops below all of them";
  EXPECT_EQ(m.launchNew, 1u);
  m = rollingMove({3, 3, 0, 1, 0}, strategy(1, 0));
  EXPECT_EQ(m.killOld + m.launchNew, 0u) << "waits for the new one to be healthy";
  m = rollingMove({3, 3, 0, 1, 1}, strategy(1, 0));
  EXPECT_EQ(m.killOld, 1u);
  EXPECT_EQ(m.launchNew, 0u);
  m = rollingMove({3, 2, 0, 1, 1}, strategy(1, 0));
  EXPECT_EQ(m.launchNew, 1u);
}

TEST(RollingTest, CapacityArithmetic) {
  EXPECT_EQ(minimumHealthy(10, strategy(0.9, 0)), 9u);
  EXPECT_EQ(minimumHealthy(3, strategy(0.5, 0)), 2u);
  EXPECT_EQ(maximumCapacity(10, strategy(1, 0.1)), 11u);
  EXPECT_EQ(maximumCapacity(4, strategy(1, 1)), 8u);
}

}  // namespace
}  // namespace agora::marathon
