#pragma once
// The subcommands of `agora`. Each returns the process exit code.

#include <string>
#include <vector>

namespace agora::cli {

int devCommand();
// A CURVE key pair in NAME.key and NAME.pub.
int keygenCommand(const std::vector<std::string>& args);
// An operator removes a framework and its tasks.
int teardownCommand(const std::vector<std::string>& args);
int runCommand(const std::vector<std::string>& command);
int statusCommand();
int agentsCommand();
int frameworksCommand();
// --framework and --state choose the tasks.
int tasksCommand();
int eventsCommand();
int topCommand();
int logsCommand(const std::string& taskId);
int rolesCommand();
int weightCommand(const std::vector<std::string>& args);
int quotaCommand(const std::vector<std::string>& args);
// drain: false for undrain.
int drainCommand(const std::vector<std::string>& args, bool drain);
// reserve: false for unreserve.
int reserveCommand(const std::vector<std::string>& args, bool reserve);

// agora-marathon's: app ..., deployment ..., queue.
int appCommand(const std::vector<std::string>& args);
int deploymentCommand(const std::vector<std::string>& args);
int queueCommand();

// agora-batch's: job ...
int jobCommand(const std::vector<std::string>& args);

// The master's address: --master, else $AGORA_MASTER, else the local default.
std::string masterAddress();

}  // namespace agora::cli
