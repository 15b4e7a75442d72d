// The `agora` tool as a user runs it: against a test cluster, and `agora dev` on its own.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "cli/master_client.hpp"
#include "tests/support/cli.hpp"
#include "tests/support/cluster.hpp"
#include "tests/support/marathon.hpp"
#include "tests/support/self_signed_cert.hpp"
#include "tests/support/wait.hpp"

namespace agora::testing {
namespace {

TEST(CliTest, RunExitsWithTheCommandsCodeAndShowsItsOutput) {
  TestCluster cluster;
  cluster.startMaster();
  cluster.startAgents(1);
  std::string master = "--master=" + cluster.master();
  auto [ok, okOut] = agora(cluster.workDir(), {"run", master, "--", "echo", "hello", "from", "agora"});
  EXPECT_EQ(ok, 0) << okOut;
  EXPECT_NE(okOut.find("hello from agora"), std::string::npos) << okOut;
  EXPECT_NE(okOut.find("TASK_RUNNING"), std::string::npos) << okOut;
  EXPECT_NE(okOut.find("TASK_FINISHED"), std::string::npos) << okOut;
  auto [failed, failedOut] = agora(cluster.workDir(), {"run", master, "--", "exit 3"});
  EXPECT_EQ(failed, 3) << failedOut;
  EXPECT_NE(failedOut.find("TASK_FAILED"), std::string::npos) << failedOut;
  auto [big, bigOut] = agora(cluster.workDir(), {"run", master, "--cpus=64", "--timeout=2", "--", "true"});
  EXPECT_EQ(big, 1) << bigOut;
  EXPECT_NE(bigOut.find("no offer could hold cpus:64"), std::string::npos) << bigOut;
}

// Several arguments are the program's argv, passed on unchanged; they used to be joined with
// spaces and given to a shell.
TEST(CliTest, RunRunsAProgramWithItsArgumentsAsGiven) {
  TestCluster cluster;
  cluster.startMaster();
  cluster.startAgents(1);
  std::string master = "--master=" + cluster.master();
  auto [code, out] = agora(cluster.workDir(), {"run", master, "--", "sh", "-c", "exit 3"});
  EXPECT_EQ(code, 3) << out;
  auto [py, pyOut] = agora(cluster.workDir(), {"run", master, "--quiet", "--", "python3", "-c", "print(1+1)"});
  EXPECT_EQ(py, 0) << pyOut;
  EXPECT_EQ(pyOut, "2\n");
  auto [args, argsOut] = agora(cluster.workDir(), {"run", master, "--quiet", "--", "printf", "%s|", "a b", "$HOME", "*"});
  EXPECT_EQ(args, 0) << argsOut;
  EXPECT_EQ(argsOut, "a b|$HOME|*|");
}

TEST(CliTest, HelpShowsAgorasCommandsAndFlagsOnly) {
  std::string dir = makeTempDir("agora-cli");
  auto [code, out] = agora(dir, {"--help"});
  EXPECT_EQ(code, 0) << out;
  for (const char* expected : {"run [--cpus=0.1", "dev [--agents=2]", "--cpus=0.1", "--master=", "/bin/sh -c"})
    EXPECT_NE(out.find(expected), std::string::npos) << expected << " missing from:\n" << out;
  EXPECT_EQ(out.find("logtostderr"), std::string::npos) << "the logging library's flags are listed:\n" << out;
  std::filesystem::remove_all(dir);
}

TEST(CliTest, StatusShowsAgentsAsTableAndJson) {
  TestCluster cluster;
  cluster.startMaster();
  cluster.startAgents(2);
  auto [code, out] = agora(cluster.workDir(), {"status", "--master=" + cluster.master()});
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n') >= 4, true) << out;
  EXPECT_NE(out.find("active"), std::string::npos) << out;
  auto [jcode, json] = agora(cluster.workDir(), {"status", "--json", "--master=" + cluster.master()});
  ASSERT_EQ(jcode, 0) << json;
  EXPECT_EQ(nlohmann::json::parse(json)["agents"].size(), 2u);
}

TEST(CliTest, ClientCommandsSayWhenNoMasterAnswers) {
  std::string dir = makeTempDir("agora-cli");
  auto [code, out] = agora(dir, {"status", "--master=127.0.0.1:1"});
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("is it running?"), std::string::npos) << out;
  auto [usage, usageOut] = agora(dir, {"frobnicate"});
  EXPECT_EQ(usage, 2);
  EXPECT_NE(usageOut.find("unknown command 'frobnicate'"), std::string::npos) << usageOut;
  std::filesystem::remove_all(dir);
}

TEST(CliTest, DevStartsAClusterThatRunsCommandsAndStopsItOnInterrupt) {
  std::string dir = makeTempDir("agora-dev");
  auto dev = Process::start({AGORA_CLI_BIN, "dev", "--agents=2", "--port=0", "--http-port=0", "--marathon-port=0", "--batch-port=0", "--work-dir=" + dir + "/c"},
                            dir + "/dev.log");
  ASSERT_TRUE(dev.ok()) << dev.error();
  std::smatch match;
  std::string banner;
  ASSERT_TRUE(eventually([&] {
    banner = slurp(dir + "/dev.log");
    static const std::regex address(R"(master \(frameworks, agents, CLI\): (127\.0\.0\.1:\d+))");
    return std::regex_search(banner, match, address);
  })) << banner;
  EXPECT_NE(banner.find("2 agents"), std::string::npos) << banner;
  std::smatch dashboard;
  ASSERT_TRUE(std::regex_search(banner, dashboard, std::regex(R"(dashboard: (http://127\.0\.0\.1:\d+/))"))) << banner;
  httplib::Client web(dashboard[1].str().substr(0, dashboard[1].length() - 1));
  auto page = web.Get("/");
  ASSERT_TRUE(page) << "the dashboard's address does not answer";
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("/ui/master.js"), std::string::npos) << page->body.substr(0, 300);
  std::string master = match[1];
  auto [code, out] = agora(dir, {"run", "--master=" + master, "--", "echo dev-ok"});
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("dev-ok"), std::string::npos) << out;

  // A Marathon app definition, added with the CLI, runs.
  std::smatch services;
  ASSERT_TRUE(std::regex_search(banner, services, std::regex(R"(services \(Marathon's API\): http://(127\.0\.0\.1:\d+)/v2/apps)")))
      << banner;
  std::string marathon = "--marathon=" + services[1].str();
  std::ofstream(dir + "/app.json") << R"({"id": "/hello", "cmd": "exec sleep 1000", "instances": 2, "cpus": 0.1, "mem": 32})";
  auto [added, addedOut] = agora(dir, {"app", "add", dir + "/app.json", marathon});
  EXPECT_EQ(added, 0) << addedOut;
  EXPECT_NE(addedOut.find("deployment "), std::string::npos) << addedOut;
  std::string listed;
  EXPECT_TRUE(eventually([&] {
    auto [code, out] = agora(dir, {"app", "list", marathon});
    listed = out;
    return code == 0 && std::regex_search(out, std::regex(R"(/hello\s+2\s+2\s)"));
  })) << listed;
  auto [again, againOut] = agora(dir, {"app", "add", dir + "/app.json", marathon});
  EXPECT_EQ(again, 1);
  EXPECT_NE(againOut.find("HTTP 409: {\"message\":\"An app with id [/hello] already exists.\"}"), std::string::npos) << againOut;
  auto [queued, queueOut] = agora(dir, {"queue", marathon});
  EXPECT_EQ(queued, 0) << queueOut;
  auto [json, jsonOut] = agora(dir, {"app", "tasks", "/hello", "--json", marathon});
  EXPECT_EQ(json, 0) << jsonOut;
  EXPECT_EQ(nlohmann::json::parse(jsonOut)["tasks"].size(), 2u) << jsonOut;

  // A Metronome job spec with a schedule, added with the CLI, runs on time.
  std::smatch jobsAt;
  ASSERT_TRUE(std::regex_search(banner, jobsAt, std::regex(R"(jobs \(Metronome's API\):\s+http://(127\.0\.0\.1:\d+)/v1/jobs)")))
      << banner;
  std::string batch = "--batch=" + jobsAt[1].str();
  std::ofstream(dir + "/job.json") << R"({"id": "nightly.report", "description": "every minute here",
      "run": {"cmd": "echo report $AGORA_JOB_SCHEDULED_AT", "cpus": 0.1, "mem": 32, "disk": 0},
      "schedules": [{"id": "minutely", "cron": "* * * * *", "timezone": "Europe/Berlin"}]})";
  auto [jobAdded, jobAddedOut] = agora(dir, {"job", "add", dir + "/job.json", batch});
  EXPECT_EQ(jobAdded, 0) << jobAddedOut;
  EXPECT_NE(jobAddedOut.find("job nightly.report created"), std::string::npos) << jobAddedOut;
  auto [nextCode, nextOut] = agora(dir, {"job", "next", "nightly.report", "--count=3", batch});
  EXPECT_EQ(nextCode, 0) << nextOut;
  EXPECT_TRUE(std::regex_search(nextOut, std::regex(R"(\+0[12]:00\s+\d{4}-\d\d-\d\dT\d\d:\d\d:00Z)"))) << nextOut;
  std::string history;
  EXPECT_TRUE(eventually([&] {
    auto [code, out] = agora(dir, {"job", "history", "nightly.report", "--json", batch});
    history = out;
    nlohmann::json h = nlohmann::json::parse(out, nullptr, false);
    return code == 0 && h.is_object() && !h["successfulFinishedRuns"].empty();
  }, std::chrono::seconds(80))) << history;
  nlohmann::json ran = nlohmann::json::parse(history)["successfulFinishedRuns"][0];
  EXPECT_EQ(ran["trigger"], "schedule");
  EXPECT_EQ(ran["taskResults"][0]["exitCode"], 0);
  auto [listCode, listOut] = agora(dir, {"job", "list", batch});
  EXPECT_EQ(listCode, 0) << listOut;
  EXPECT_NE(listOut.find("* * * * * Europe/Berlin"), std::string::npos) << listOut;

  kill(dev->pid(), SIGINT);
  int status = dev->wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << slurp(dir + "/dev.log");
  // Every process of the cluster is gone: nothing answers at the master's address any more,
  // and no process runs from the cluster's work dir.
  auto [after, afterOut] = agora(dir, {"status", "--master=" + master});
  EXPECT_EQ(after, 1) << afterOut;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string cmdline = slurp(entry.path().string() + "/cmdline");
    EXPECT_EQ(cmdline.find(dir + "/c/"), std::string::npos) << "left running: " << cmdline;
  }
  std::filesystem::remove_all(dir);
}

// agora dev --ha: etcd and three masters; the CLI and the cluster's parts follow whichever
// leads, and the leader's death stops nothing.
TEST(CliTest, DevHaSurvivesItsLeadingMaster) {
  std::string dir = makeTempDir("agora-dev");
  auto [lock, ports] = takePortSlot();
  auto dev = Process::start({AGORA_CLI_BIN, "dev", "--ha", "--agents=1", "--port=0", "--http-port=0", "--marathon-port=0",
                             "--batch-port=0", "--etcd-port=" + std::to_string(ports + 10), "--work-dir=" + dir + "/c"},
                            dir + "/dev.log");
  ASSERT_TRUE(dev.ok()) << dev.error();
  std::smatch match;
  std::string banner;
  ASSERT_TRUE(eventually([&] {
    banner = slurp(dir + "/dev.log");
    static const std::regex address(R"(master \(frameworks, agents, CLI\): (etcd://127\.0\.0\.1:\d+/agora))");
    return std::regex_search(banner, match, address);
  })) << banner;
  EXPECT_NE(banner.find("etcd and 3 masters"), std::string::npos) << banner;
  std::string master = "--master=" + match[1].str();
  auto [code, out] = agora(dir, {"status", master});
  EXPECT_EQ(code, 0) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("leading in term \\d+; standbys: master-"))) << out;

  auto info = cli::callMaster(match[1].str(), "GET", "/api/v1/info");
  ASSERT_TRUE(info.ok()) << info.error();
  pid_t leader = nlohmann::json::parse(info->body)["pid"].get<pid_t>();
  ASSERT_EQ(kill(leader, SIGKILL), 0);
  auto [ran, ranOut] = agora(dir, {"run", master, "--", "echo ha-ok"});
  EXPECT_EQ(ran, 0) << ranOut;
  EXPECT_NE(ranOut.find("ha-ok"), std::string::npos) << ranOut;
  EXPECT_TRUE(eventually([&] { return slurp(dir + "/dev.log").find("2 of its kind go on") != std::string::npos; }))
      << slurp(dir + "/dev.log");

  // Two instances of agora-marathon: the CLI, given both, reaches the leader through either,
  // and after the leader's SIGKILL through the one that takes over.
  std::vector<std::string> marathons;
  static const std::regex service(R"(services \(Marathon's API\): http://(127\.0\.0\.1:\d+)/v2/apps)");
  for (std::sregex_iterator it(banner.begin(), banner.end(), service), end; it != end; ++it) marathons.push_back((*it)[1]);
  ASSERT_EQ(marathons.size(), 2u) << banner;
  std::string both = "--marathon=" + marathons[1] + "," + marathons[0];
  std::string app = dir + "/app.json";
  std::ofstream(app) << R"({"id": "/ha-web", "cmd": "sleep 1000", "instances": 1, "cpus": 0.1, "mem": 16})";
  auto [added, addedOut] = agora(dir, {"app", "add", both, app});
  ASSERT_EQ(added, 0) << addedOut;
  pid_t leadingMarathon = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string cmdline = slurp(entry.path().string() + "/cmdline");
    if (cmdline.find("agora-marathon-1-endpoint.json") != std::string::npos)
      leadingMarathon = std::atoi(entry.path().filename().c_str());
  }
  ASSERT_GT(leadingMarathon, 0);
  ASSERT_EQ(kill(leadingMarathon, SIGKILL), 0);
  EXPECT_TRUE(eventually([&] {
    auto [listed, listedOut] = agora(dir, {"app", "list", both});
    return listed == 0 && listedOut.find("/ha-web") != std::string::npos;
  })) << "the standby agora-marathon did not take over; see " << dir << "/c/logs";

  kill(dev->pid(), SIGINT);
  int status = dev->wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << slurp(dir + "/dev.log");
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string cmdline = slurp(entry.path().string() + "/cmdline");
    EXPECT_EQ(cmdline.find(dir + "/c/"), std::string::npos) << "left running: " << cmdline;
  }
  close(lock);
  std::filesystem::remove_all(dir);
}

// No process of the cluster may outlive `agora dev`, however it ends.
TEST(CliTest, DevKilledWithSigkillLeavesNoProcessBehind) {
  std::string dir = makeTempDir("agora-dev");
  auto dev = Process::start({AGORA_CLI_BIN, "dev", "--agents=2", "--port=0", "--http-port=0", "--marathon-port=0", "--batch-port=0", "--work-dir=" + dir + "/c"},
                            dir + "/dev.log");
  ASSERT_TRUE(dev.ok()) << dev.error();
  ASSERT_TRUE(eventually([&] { return slurp(dir + "/dev.log").find("cluster is up") != std::string::npos; }))
      << slurp(dir + "/dev.log");
  auto clusterProcesses = [&] {
    std::vector<std::string> left;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
      std::string cmdline = slurp(entry.path().string() + "/cmdline");
      if (cmdline.find(dir + "/c/") != std::string::npos) left.push_back(cmdline);
    }
    return left;
  };
  ASSERT_EQ(clusterProcesses().size(), 5u);  // the master, two agents, agora-marathon and agora-batch
  kill(dev->pid(), SIGKILL);
  dev->wait();
  EXPECT_TRUE(eventually([&] { return clusterProcesses().empty(); }))
      << "left running: " << (clusterProcesses().empty() ? "" : clusterProcesses().front());
  std::filesystem::remove_all(dir);
}

TEST(CliTest, DevSaysWhenItsPortIsTakenByAnotherCluster) {
  TestCluster cluster;
  cluster.startMaster();
  std::string port = cluster.master().substr(cluster.master().rfind(':') + 1);
  auto [code, out] = agora(cluster.workDir(), {"dev", "--port=" + port, "--http-port=0"});
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("port " + port + " is taken by another Agora cluster"), std::string::npos) << out;
  EXPECT_NE(out.find("--port=0"), std::string::npos) << out;
}

// The CLI to an agora-marathon that serves HTTPS with a certificate of its own (openssl, as
// an operator would make one): heard with --tls_ca, and without it told what to give.
TEST(CliHttpsTest, TheCliTrustsAFrameworksCertificateOnlyWhenGivenIt) {
  TestCluster cluster;
  cluster.startMaster();
  std::string dir = cluster.workDir();
  ASSERT_TRUE(makeSelfSignedCert(dir)) << "openssl could not make a certificate in " << dir;
  MarathonProcess marathon(cluster, {"--tls_cert=" + dir + "/cert.pem", "--tls_key=" + dir + "/key.pem"});
  marathon.launch();
  std::string https = "--marathon=https://127.0.0.1:" + std::to_string(marathon.port());
  std::string out;
  EXPECT_TRUE(eventually([&] {
    auto [code, listed] = agora(dir, {"app", "list", https, "--tls_ca=" + dir + "/cert.pem"});
    out = listed;
    return code == 0;
  })) << out;
  auto [untrusted, untrustedOut] = agora(dir, {"app", "list", https});
  EXPECT_NE(untrusted, 0);
  EXPECT_NE(untrustedOut.find("give --tls_ca="), std::string::npos) << untrustedOut;
  auto [plain, plainOut] = agora(dir, {"app", "list", "--marathon=127.0.0.1:" + std::to_string(marathon.port())});
  EXPECT_NE(plain, 0) << plainOut;
}

// An agent serving HTTPS says so to the master, and the CLI reads a task's output from it over
// HTTPS, trusting its certificate only when told to.
TEST(CliHttpsTest, TheCliReadsTaskOutputFromAnHttpsAgent) {
  TestCluster cluster;
  cluster.startMaster();
  std::string dir = cluster.workDir();
  ASSERT_TRUE(makeSelfSignedCert(dir)) << "openssl could not make a certificate in " << dir;
  cluster.startAgent({"--tls_cert=" + dir + "/cert.pem", "--tls_key=" + dir + "/key.pem"});
  ASSERT_TRUE(eventually([&] { return cluster.activeAgents() == 1; }));
  EXPECT_EQ(cluster.state()["agents"][0]["http_scheme"], "https") << cluster.state()["agents"].dump();

  std::string master = "--master=" + cluster.master();
  auto [ok, okOut] = agora(dir, {"run", master, "--tls_ca=" + dir + "/cert.pem", "--", "echo", "hello", "over", "tls"});
  EXPECT_EQ(ok, 0) << okOut;
  EXPECT_NE(okOut.find("hello over tls\n"), std::string::npos) << okOut;
  EXPECT_NE(okOut.find("TASK_FINISHED"), std::string::npos) << okOut;
  // The command still runs; only its output cannot be read, and the user is told what to give.
  auto [untrusted, untrustedOut] = agora(dir, {"run", master, "--", "true"});
  EXPECT_EQ(untrusted, 0) << untrustedOut;
  EXPECT_NE(untrustedOut.find("cannot read the command's stdout: the agent at https://127.0.0.1:"), std::string::npos)
      << untrustedOut;
  EXPECT_NE(untrustedOut.find("give --tls_ca="), std::string::npos) << untrustedOut;
}

}  // namespace
}  // namespace agora::testing
