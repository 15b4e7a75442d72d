// Who may do what, on a real cluster: a master with CURVE keys, an allow-list, an ACL and
// bearer tokens; agents and frameworks with keys of their own, and some without.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include <httplib.h>

#include "cli/credentials.hpp"
#include "common/curve.hpp"
#include "tests/support/cli.hpp"
#include "tests/support/cluster.hpp"
#include "tests/support/http_stream_reader.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

namespace agora::testing {
namespace {

using nlohmann::json;

const char* kReadToken = "read-token-0123456789abcdef";
const char* kOpsToken = "ops-token-0123456789abcdef";
const char* kTeamToken = "team-token-0123456789abcdef";

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// Keys for the master, the agents, team-a's framework, the operators and a stranger whom the
// allow-list does not name; the ACL lets team-a use its role as user nobody only.
struct Secrets {
  TempDir dir{"agora-security"};
  KeyPair master = newKeyPair(), agents = newKeyPair(), team = newKeyPair(), ops = newKeyPair(), stranger = newKeyPair();

  Secrets() {
    for (auto [name, keys] : {std::pair{"master", &master}, {"agents", &agents}, {"team", &team}, {"ops", &ops},
                              {"stranger", &stranger}})
      EXPECT_TRUE(writeKeyPair(*keys, path(name)).ok());
    write(path("allow-list"), "agents " + agents.publicKey + "\nteam-a " + team.publicKey + "\nops " + ops.publicKey + "\n");
    write(path("acls.json"), json{{"principals",
                                   {{"agents", {{"actions", {"register_agents"}}}},
                                    {"team-a", {{"roles", {"team-a"}}, {"users", {"nobody"}}}},
                                    {"ops", {{"roles", {"ANY"}}, {"users", {"ANY"}},
                                             {"actions", {"quota", "weights", "reservations", "drain", "teardown",
                                                          "read_files", "register_agents"}}}}}}}
                                 .dump());
    write(path("tokens"), std::string(kReadToken) + ",viewer,read\n" + kOpsToken + ",ops,operator\n" + kTeamToken +
                              ",team-a,operator\n");
  }
  std::string path(const std::string& name) const { return dir.path() + "/" + name; }
  std::vector<std::string> masterFlags() const {
    return {"--curve_key=" + path("master.key"), "--allow_list=" + path("allow-list"), "--acls=" + path("acls.json"),
            "--tokens=" + path("tokens")};
  }
  std::vector<std::string> agentFlags(const std::string& key) const {
    std::vector<std::string> flags = {"--tokens=" + path("tokens"), "--acls=" + path("acls.json")};
    if (!key.empty()) {
      flags.push_back("--curve_key=" + path(key + ".key"));
      flags.push_back("--master_public_key=" + path("master.pub"));
    }
    return flags;
  }
  // The CLI's flags for a principal's key.
  std::vector<std::string> cliFlags(const std::string& key, const std::string& master) const {
    return {"--master=" + master, "--curve_key=" + path(key + ".key"), "--master_public_key=" + path("master.pub")};
  }
};

std::pair<int, std::string> http(const std::string& address, const std::string& method, const std::string& target,
                                 const std::string& token, const std::string& body = "") {
  httplib::Client client("http://" + address);
  if (!token.empty()) client.set_bearer_token_auth(token);
  auto r = method == "GET" ? client.Get(target) : client.Post(target, body, "application/json");
  if (!r) return {0, httplib::to_string(r.error())};
  return {r->status, r->body};
}

class SecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // This process's own calls (state(), agentApi()) are the operators'.
    cli::Credentials ops;
    ops.curve = CurveClient{secrets.ops, secrets.master.publicKey};
    ops.token = kOpsToken;
    cli::useCredentials(ops);
  }
  void TearDown() override { cli::useCredentials({}); }
  Secrets secrets;
};

TEST_F(SecurityTest, AgentsNeedAKeyTheAllowListNamesAndTheRightToRegister) {
  TestCluster cluster(secrets.masterFlags());
  cluster.startMaster();
  cluster.startAgent(secrets.agentFlags("agents"));
  ASSERT_TRUE(eventually([&] { return cluster.activeAgents() == 1; }));
  // Unknown key, no key, and a known key whose principal may not register agents.
  cluster.startAgent(secrets.agentFlags("stranger"));
  cluster.startAgent(secrets.agentFlags(""));
  cluster.startAgent(secrets.agentFlags("team"));
  EXPECT_TRUE(eventually([&] { return slurp(cluster.agentLog(1)).find("refused this key") != std::string::npos; }))
      << slurp(cluster.agentLog(1));
  EXPECT_TRUE(eventually([&] {
    return slurp(cluster.agentLog(2)).find("admits only CURVE peers: give --curve_key") != std::string::npos;
  })) << slurp(cluster.agentLog(2));
  EXPECT_TRUE(eventually([&] {
    return slurp(cluster.agentLog(3)).find("principal 'team-a' may not register agents") != std::string::npos;
  })) << slurp(cluster.agentLog(3));
  EXPECT_EQ(cluster.activeAgents(), 1);
  auto [code, metrics] = http(cluster.masterHttp(), "GET", "/metrics", kReadToken);
  EXPECT_EQ(code, 200);
  EXPECT_NE(metrics.find("agora_master_auth_curve_refused_total"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("agora_master_acl_refused_agents_total"), std::string::npos) << metrics;
}

TEST_F(SecurityTest, FrameworksAreRefusedWithoutAKnownKeyAndOutsideTheirRolesAndUsers) {
  TestCluster cluster(secrets.masterFlags());
  cluster.startMaster();
  cluster.startAgent(secrets.agentFlags("agents"));
  ASSERT_TRUE(eventually([&] { return cluster.activeAgents() == 1; }));
  // `agora run` is a framework over ZeroMQ: the operators' key runs a task end to end...
  std::vector<std::string> run = secrets.cliFlags("ops", cluster.master());
  run.insert(run.begin(), "run");
  run.insert(run.end(), {"--timeout=20", "--", "echo secured"});
  auto [code, out] = agora(cluster.workDir(), run);
  EXPECT_EQ(code, 0) << out;
  // ...a stranger's key is refused, and says so...
  std::vector<std::string> stranger = secrets.cliFlags("stranger", cluster.master());
  stranger.insert(stranger.begin(), "status");
  std::tie(code, out) = agora(cluster.workDir(), stranger);
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("refused this key"), std::string::npos) << out;
  // ...and team-a may not subscribe in role '*'.
  std::vector<std::string> team = secrets.cliFlags("team", cluster.master());
  team.insert(team.begin(), "run");
  team.insert(team.end(), {"--timeout=3", "--", "true"});
  std::tie(code, out) = agora(cluster.workDir(), team);
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("may not subscribe frameworks in role '*'"), std::string::npos) << out;

  // Over HTTP with team-a's token: its own role subscribes; a task as root is TASK_ERROR.
  json info = {{"name", "team-a-fw"}, {"roles", {"team-a"}}};
  json subscribe = {{"type", "SUBSCRIBE"}, {"subscribe", {{"framework_info", info}}}};
  auto [denied, deniedBody] = http(cluster.masterHttp(), "POST", "/api/v1/scheduler", "", subscribe.dump());
  EXPECT_EQ(denied, 401) << deniedBody;
  json wrongRole = subscribe;
  wrongRole["subscribe"]["framework_info"]["roles"] = {"other"};
  auto [forbidden, forbiddenBody] = http(cluster.masterHttp(), "POST", "/api/v1/scheduler", kTeamToken, wrongRole.dump());
  EXPECT_EQ(forbidden, 403) << forbiddenBody;
  EXPECT_NE(forbiddenBody.find("may not subscribe frameworks in role 'other'"), std::string::npos) << forbiddenBody;
  auto stream = std::make_unique<HttpStreamReader>(cluster.masterHttp(), "POST", "/api/v1/scheduler", subscribe.dump(),
                                                   std::map<std::string, std::string>{{"Authorization", std::string("Bearer ") + kTeamToken}});
  ASSERT_EQ(stream->status(), 200) << stream->body();
  // The agent's resources are unreserved ('*'), which a framework of any role is offered.
  ASSERT_TRUE(stream->waitFor([&](const std::string& body) { return body.find("\"OFFERS\"") != std::string::npos; }))
      << stream->body();
  json offers;
  for (json& e : recordIoEvents(stream->body()))
    if (e["type"] == "OFFERS") offers = e["offers"]["offers"];
  json subscribed = recordIoEvents(stream->body()).at(0)["subscribed"];
  json cpus = {{"name", "cpus"}, {"type", "SCALAR"}, {"scalar", {{"value", 0.1}}}};
  json task = {{"name", "as-root"},
               {"task_id", {{"value", "as-root"}}},
               {"agent_id", offers[0]["agent_id"]},
               {"command", {{"value", "true"}, {"user", "root"}}},
               {"resources", json::array({cpus})}};
  json launch = {{"type", "LAUNCH"}, {"launch", {{"task_infos", json::array({task})}}}};
  json accept = {{"type", "ACCEPT"},
                 {"framework_id", subscribed["framework_id"]},
                 {"accept", {{"offer_ids", json::array({offers[0]["id"]})}, {"operations", json::array({launch})}}}};
  httplib::Client client("http://" + cluster.masterHttp());
  client.set_bearer_token_auth(kTeamToken);
  httplib::Headers streamId;
  streamId.emplace("Mesos-Stream-Id", stream->header("Mesos-Stream-Id"));
  auto posted = client.Post("/api/v1/scheduler", streamId,
                            accept.dump(), "application/json");
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->status, 202) << posted->body;
  EXPECT_TRUE(stream->waitFor([&](const std::string& body) {
    return body.find("TASK_ERROR") != std::string::npos && body.find("REASON_TASK_UNAUTHORIZED") != std::string::npos &&
           body.find("would run as user 'root'") != std::string::npos;
  })) << stream->body();
}

TEST_F(SecurityTest, OperatorCallsAndTaskFilesNeedTokensWithTheRightScopeAndAcl) {
  TestCluster cluster(secrets.masterFlags());
  cluster.startMaster();
  cluster.startAgent(secrets.agentFlags("agents"));
  ASSERT_TRUE(eventually([&] { return cluster.activeAgents() == 1; }));
  const std::string weight = "/api/v1/roles/eng/weight";
  EXPECT_EQ(http(cluster.masterHttp(), "POST", weight, "", R"({"weight":2})").first, 401);
  EXPECT_EQ(http(cluster.masterHttp(), "POST", weight, "not-a-known-token-at-all", R"({"weight":2})").first, 401);
  auto [readOnly, readOnlyBody] = http(cluster.masterHttp(), "POST", weight, kReadToken, R"({"weight":2})");
  EXPECT_EQ(readOnly, 403);
  EXPECT_NE(readOnlyBody.find("read-only"), std::string::npos) << readOnlyBody;
  auto [team, teamBody] = http(cluster.masterHttp(), "POST", weight, kTeamToken, R"({"weight":2})");
  EXPECT_EQ(team, 403);
  EXPECT_NE(teamBody.find("principal 'team-a' may not POST " + weight), std::string::npos) << teamBody;
  EXPECT_EQ(http(cluster.masterHttp(), "POST", weight, kOpsToken, R"({"weight":2})").first, 200);
  EXPECT_EQ(http(cluster.masterHttp(), "GET", "/api/v1/state", kReadToken).first, 200);
  EXPECT_EQ(http(cluster.masterHttp(), "GET", "/health", "").first, 200);
  EXPECT_EQ(http(cluster.masterHttp(), "GET", "/", "").first, 200) << "the dashboard's files are open";
  // The same over ZeroMQ: the CLI with team-a's key may not change weights.
  std::vector<std::string> args = secrets.cliFlags("team", cluster.master());
  args.insert(args.begin(), {"weight", "eng", "3"});
  auto [code, out] = agora(cluster.workDir(), args);
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("principal 'team-a' may not"), std::string::npos) << out;

  // The agent's file API: no token 401; team-a (no read_files) 403; the operators 200.
  json agents = cluster.state()["agents"];
  ASSERT_EQ(agents.size(), 1u);
  std::string agentHttp = agents[0]["http_host"].get<std::string>() + ":" + std::to_string(agents[0]["http_port"].get<int>());
  const std::string files = "/api/v1/files/read?task_id=t&framework_id=f&file=stdout";
  EXPECT_EQ(http(agentHttp, "GET", files, "").first, 401);
  EXPECT_EQ(http(agentHttp, "GET", files, kTeamToken).first, 403);
  EXPECT_EQ(http(agentHttp, "GET", files, kOpsToken).first, 404) << "let in; there is no such task";
}

// A credentials file left by a cluster that is gone (its keys removed with its work dir): the
// error names the file and what to do, rather than only the missing key.
TEST(CredentialsFileTest, AStaleFileIsNamedInTheError) {
  TempDir dir("agora-stale-credentials");
  std::string credentials = dir.path() + "/credentials.json";
  write(credentials, R"({"master": "127.0.0.1:1", "curve_key": ")" + dir.path() + R"(/gone/cli.key",
                            "master_public_key": ")" + dir.path() + R"(/gone/master.pub"})");
  setenv("AGORA_CREDENTIALS", credentials.c_str(), 1);
  for (std::vector<std::string> command : {std::vector<std::string>{"status"}, {"run", "--", "true"}}) {
    auto [code, out] = agora(dir.path(), command);
    EXPECT_NE(code, 0) << out;
    EXPECT_NE(out.find("named in " + credentials), std::string::npos) << out;
    EXPECT_NE(out.find("remove the file"), std::string::npos) << out;
  }
  setenv("AGORA_CREDENTIALS", "/nonexistent/agora-tests-use-their-own", 1);
}

// agora dev --secure: every part wired with keys, ACLs and tokens; `agora` commands on the
// machine find the credentials with no flags; without them they are refused.
TEST(SecureDevTest, EverythingWorksEndToEndAndOnlyWithTheClustersCredentials) {
  TempDir dir("agora-secure-dev");
  std::string credentials = dir.path() + "/credentials.json";
  setenv("AGORA_CREDENTIALS", credentials.c_str(), 1);
  auto dev = Process::start({AGORA_CLI_BIN, "dev", "--secure", "--agents=1", "--port=0", "--http-port=0", "--marathon-port=0",
                             "--batch-port=0", "--work-dir=" + dir.path() + "/c"},
                            dir.path() + "/dev.log");
  ASSERT_TRUE(dev.ok()) << dev.error();
  std::string banner;
  std::smatch match, dashboard, operatorToken;
  ASSERT_TRUE(eventually([&] {
    banner = slurp(dir.path() + "/dev.log");
    return std::regex_search(banner, match, std::regex(R"(master \(frameworks, agents, CLI\): (127\.0\.0\.1:\d+))")) &&
           banner.find("Ctrl-C") != std::string::npos;
  }, std::chrono::seconds(60))) << banner;
  EXPECT_NE(banner.find("security: ON"), std::string::npos) << banner;
  ASSERT_TRUE(std::regex_search(banner, dashboard, std::regex(R"(dashboard: http://(127\.0\.0\.1:\d+)/)"))) << banner;
  ASSERT_TRUE(std::regex_search(banner, operatorToken, std::regex(R"(operator ([0-9a-f]+), read-only)"))) << banner;

  // With the credentials file alone: a command runs, an app is listed, the state is read.
  auto [ran, ranOut] = agora(dir.path(), {"run", "--", "echo secure-dev-ok"});
  EXPECT_EQ(ran, 0) << ranOut;
  EXPECT_NE(ranOut.find("secure-dev-ok"), std::string::npos) << ranOut;
  auto [apps, appsOut] = agora(dir.path(), {"app", "list"});
  EXPECT_EQ(apps, 0) << appsOut;
  auto [status, statusOut] = agora(dir.path(), {"status"});
  EXPECT_EQ(status, 0) << statusOut;

  // Without them: refused on ZeroMQ and on HTTP.
  setenv("AGORA_CREDENTIALS", (dir.path() + "/none.json").c_str(), 1);
  auto [stranger, strangerOut] = agora(dir.path(), {"status", "--master=" + match[1].str()});
  EXPECT_NE(stranger, 0);
  EXPECT_NE(strangerOut.find("admits only CURVE peers"), std::string::npos) << strangerOut;
  httplib::Client web("http://" + dashboard[1].str());
  auto state = web.Get("/api/v1/state");
  ASSERT_TRUE(state);
  EXPECT_EQ(state->status, 401);
  web.set_bearer_token_auth(operatorToken[1].str());
  state = web.Get("/api/v1/state");
  ASSERT_TRUE(state);
  EXPECT_EQ(state->status, 200);

  kill(dev->pid(), SIGINT);
  int exit = dev->wait();
  EXPECT_TRUE(WIFEXITED(exit) && WEXITSTATUS(exit) == 0) << slurp(dir.path() + "/dev.log");
  EXPECT_FALSE(std::filesystem::exists(credentials)) << "the cluster's credentials go with it";
  setenv("AGORA_CREDENTIALS", "/nonexistent/agora-tests-use-their-own", 1);
}

}  // namespace
}  // namespace agora::testing
