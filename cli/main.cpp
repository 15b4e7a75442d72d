// agora: the command-line tool.
#include <cstring>
#include <functional>
#include <iostream>

#include <gflags/gflags.h>
#include <glog/logging.h>

#include "cli/commands.hpp"
#include "cli/credentials.hpp"

DEFINE_string(master, "", "The master: host:port, a comma-separated list of masters, or etcd://HOST:PORT/PREFIX "
                         "(default: $AGORA_MASTER, else the masters of `agora dev [--ha]`: 127.0.0.1:5050,5060,5070).");
DEFINE_bool(json, false, "Print machine-readable JSON instead of tables.");

namespace agora::cli {

std::string masterAddress() {
  if (!FLAGS_master.empty()) return FLAGS_master;
  if (const char* env = std::getenv("AGORA_MASTER"); env && *env) return env;
  if (const Try<Credentials>& c = credentials(); !c.isError() && !c->master.empty()) return c->master;
  // Where `agora dev` puts its master, or (with --ha) its three.
  return "127.0.0.1:5050,127.0.0.1:5060,127.0.0.1:5070";
}

}  // namespace agora::cli

static const char* kUsage =
    "agora COMMAND [FLAGS] [-- COMMAND LINE]\n"
    "\n"
    "Commands:\n"
    "  dev [--agents=2] [--secure]          start a local cluster (master, agents, frameworks) until Ctrl-C;\n"
    "                                       --secure: keys, ACLs and tokens for every part\n"
    "  run [--cpus=0.1 --mem=32] -- PROG ARG...  run PROG with its arguments on the cluster (one\n"
    "                                       argument: a /bin/sh -c command line); exits with its code\n"
    "  status [--json]                      agents, frameworks and tasks\n"
    "  agents | frameworks [--json]         the agents; the frameworks (with their web pages)\n"
    "  tasks [--framework=F] [--state=S]    tasks, e.g. --state=TASK_RUNNING [--json]\n"
    "  events [--type=T,..]                follow the master's event stream (agents, frameworks, tasks)\n"
    "  top                                  a live view of utilisation and the busiest tasks\n"
    "  logs TASK [-f] [--stderr]            a task's stdout (stderr), following it with -f\n"
    "  roles [--json]                       roles: weight, quota, allocation, reservations, shares\n"
    "  weight ROLE W                        set a role's weight (default 1)\n"
    "  quota set ROLE RES [--limit=RES]     guarantee RES (e.g. 'cpus:8;mem:16384') to ROLE\n"
    "  quota remove ROLE                    remove ROLE's quota\n"
    "  drain AGENT [--deadline=60]          no new tasks on AGENT; its tasks are killed at the deadline\n"
    "  undrain AGENT                        AGENT is back from maintenance\n"
    "  reserve AGENT 'cpus(ROLE):2'         reserve free resources of AGENT for ROLE (unreserve: back)\n"
    "  teardown FRAMEWORK                   remove a framework and kill its tasks\n"
    "  keygen NAME                          a CURVE key pair: NAME.key (secret) and NAME.pub\n"
    "\n"
    "Services (agora-marathon, at --marathon, else $AGORA_MARATHON, else 127.0.0.1:8080):\n"
    "  app list | show ID | tasks ID | versions ID     apps, their tasks and stored versions\n"
    "  app add FILE | update ID FILE                   a Marathon app definition (JSON) from FILE\n"
    "  app scale ID N | restart ID | remove ID         each starts a deployment (--force overrides a lock)\n"
    "  app rollback ID VERSION                         back to a stored version\n"
    "  deployment list | rollback ID [--force]         deployments; rollback undoes one (--force: only stop)\n"
    "  queue                                           what waits for resources, and why offers did not fit\n"
    "\n"
    "Jobs (agora-batch, at --batch, else $AGORA_BATCH, else 127.0.0.1:9000):\n"
    "  job list | show ID | runs ID | history ID       jobs; their runs; every finished task's exit and log\n"
    "  job add FILE | update ID FILE | remove ID       a Metronome job spec (JSON) from FILE (--force stops its runs)\n"
    "  job run ID | stop ID RUN                        start a run now; stop one\n"
    "  job next ID [SCHEDULE] [--count=5]              the next instants, in the schedule's zone and in UTC\n"
    "  job suspend ID | resume ID                      pause or resume every schedule of the job\n"
    "\n"
    "Clients talk to --master, else $AGORA_MASTER, else 127.0.0.1:5050,5060,5070 (where `agora dev [--ha]` puts its "
    "masters; a standby points to the leader).";

// agora's own flags, not those of the libraries it links (gflags' --help lists glog's too).
static void printHelp() {
  std::cout << kUsage << "\n\nFlags:\n";
  std::vector<gflags::CommandLineFlagInfo> flags;
  gflags::GetAllFlags(&flags);
  for (const auto& f : flags) {
    if (f.filename.find("cli/") == std::string::npos) continue;
    std::string name = "  --" + f.name + (f.type == "bool" ? "" : "=" + (f.default_value.empty() ? "\"\"" : f.default_value));
    std::cout << name << std::string(name.size() < 28 ? 28 - name.size() : 1, ' ') << f.description << "\n";
  }
  std::cout << "\nExamples:\n"
               "  agora run -- echo hello                 a program and its arguments, run as given\n"
               "  agora run -- python3 -c 'print(1+1)'    (no shell: every argument arrives unchanged)\n"
               "  agora run -- 'for i in 1 2; do echo $i; done'   one argument runs through /bin/sh -c\n"
               "  agora run --cpus=1 --mem=256 -- ./build.sh\n";
}

int main(int argc, char** argv) {
  // Everything after "--" is the command for `agora run`; gflags must not see it.
  std::vector<std::string> command;
  std::vector<char*> args;
  std::vector<std::string> storage;
  storage.reserve(argc);
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) {
      for (int j = i + 1; j < argc; ++j) command.push_back(argv[j]);
      break;
    }
    std::string a = argv[i];
    if (a == "-f") a = "--follow";
    if (a == "--help" || a == "-h" || a == "-help" || a == "--helpfull") {
      printHelp();
      return 0;
    }
    // Accept --work-dir as well as --work_dir.
    if (a.rfind("--", 0) == 0) {
      size_t end = a.find('=');
      for (size_t k = 2; k < std::min(end, a.size()); ++k)
        if (a[k] == '-') a[k] = '_';
    }
    storage.push_back(a);
    args.push_back(storage.back().data());
  }
  int n = static_cast<int>(args.size());
  char** p = args.data();
  gflags::SetUsageMessage(kUsage);
  gflags::ParseCommandLineFlags(&n, &p, true);
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;
  FLAGS_minloglevel = 1;  // the CLI speaks for itself; library chatter only when it matters
  if (n < 2) {
    std::cerr << kUsage << "\n";
    return 2;
  }
  std::string sub = p[1];
  std::vector<std::string> rest;
  for (int i = 2; i < n; ++i) rest.push_back(p[i]);
  // An answer of another shape than expected (another version of agora-marathon) is reported,
  // not a crash.
  auto guarded = [&](const std::function<int()>& command) {
    try {
      return command();
    } catch (const std::exception& e) {
      std::cerr << "agora " << sub << ": the answer was not what was expected: " << e.what() << "\n";
      return 1;
    }
  };
  if (sub == "job") return guarded([&] { return agora::cli::jobCommand(rest); });
  if (sub == "app") return guarded([&] { return agora::cli::appCommand(rest); });
  if (sub == "deployment") return guarded([&] { return agora::cli::deploymentCommand(rest); });
  if (sub == "queue" && rest.empty()) return guarded([] { return agora::cli::queueCommand(); });
  if (sub == "keygen") return agora::cli::keygenCommand(rest);
  if (sub == "teardown") return agora::cli::teardownCommand(rest);
  if (sub == "weight") return agora::cli::weightCommand(rest);
  if (sub == "quota") return agora::cli::quotaCommand(rest);
  if (sub == "drain" || sub == "undrain") return agora::cli::drainCommand(rest, sub == "drain");
  if (sub == "reserve" || sub == "unreserve") return agora::cli::reserveCommand(rest, sub == "reserve");
  if (sub == "logs") {
    if (n != 3) {
      std::cerr << "usage: agora logs TASK [-f] [--stderr] [--framework=ID]\n";
      return 2;
    }
    return agora::cli::logsCommand(p[2]);
  }
  if (n > 2) {
    std::cerr << "agora " << sub << ": unexpected argument '" << p[2] << "' (put a command after --)\n";
    return 2;
  }
  if (sub == "dev") return agora::cli::devCommand();
  if (sub == "run") return agora::cli::runCommand(command);
  if (sub == "status") return agora::cli::statusCommand();
  if (sub == "agents") return guarded([] { return agora::cli::agentsCommand(); });
  if (sub == "frameworks") return guarded([] { return agora::cli::frameworksCommand(); });
  if (sub == "tasks") return guarded([] { return agora::cli::tasksCommand(); });
  if (sub == "events") return guarded([] { return agora::cli::eventsCommand(); });
  if (sub == "top") return guarded([] { return agora::cli::topCommand(); });
  if (sub == "roles") return agora::cli::rolesCommand();
  if (sub == "help") {
    printHelp();
    return 0;
  }
  std::cerr << "agora: unknown command '" << sub << "'\n\n" << kUsage << "\n";
  return 2;
}
