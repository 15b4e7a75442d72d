// The operator's commands: agora roles | agora weight ROLE W | agora quota set ROLE RESOURCES
// [--limit=RESOURCES] | agora quota remove ROLE | agora drain AGENT [--deadline=S] |
// agora undrain AGENT | agora reserve AGENT RESOURCES | agora unreserve AGENT RESOURCES |
// agora teardown FRAMEWORK.
#include <iostream>
#include <sstream>

#include <gflags/gflags.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/master_client.hpp"
#include "cli/table.hpp"

DECLARE_bool(json);
DEFINE_string(limit, "", "agora quota set: the role's limit, e.g. 'cpus:16;mem:32768' (default: none).");
DEFINE_double(deadline, 60, "agora drain: seconds before the agent's tasks are killed.");

namespace agora::cli {

using nlohmann::json;

namespace {

// Calls the master and prints its answer (or why not); returns the exit code.
int call(const std::string& method, const std::string& path, const std::string& body, const char* what) {
  auto reply = callMaster(masterAddress(), method, path, body);
  if (reply.isError()) {
    std::cerr << "agora " << what << ": " << reply.error() << "\n";
    return 1;
  }
  if (reply->status != 200) {
    json error = json::parse(reply->body, nullptr, false);
    std::cerr << "agora " << what << ": "
              << (error.is_object() && error.contains("error") ? error["error"].get<std::string>() : reply->body)
              << "\n";
    return 1;
  }
  std::cout << (FLAGS_json ? reply->body : "ok: " + reply->body) << "\n";
  return 0;
}

std::string scalars(const json& resources) {
  std::ostringstream os;
  for (const auto& [name, value] : resources.items()) {
    if (!value.is_number()) continue;
    if (os.tellp() > 0) os << ";";
    os << name << ":" << value.get<double>();
  }
  return os.str().empty() ? "-" : os.str();
}

}  // namespace

int rolesCommand() {
  auto reply = callMaster(masterAddress(), "GET", "/api/v1/roles");
  if (reply.isError() || reply->status != 200) {
    std::cerr << "agora roles: " << (reply.isError() ? reply.error() : reply->body) << "\n";
    return 1;
  }
  if (FLAGS_json) {
    std::cout << reply->body << "\n";
    return 0;
  }
  Table table({"ROLE", "WEIGHT", "GUARANTEE", "LIMIT", "USED", "OFFERED", "RESERVED", "SHARE", "FRAMEWORKS"});
  json roles = json::parse(reply->body);
  for (const auto& r : roles["roles"]) {
    std::ostringstream weight, share;
    weight << r["weight"].get<double>();
    share.precision(3);
    share << r["share"].get<double>();
    table.add({r["role"], weight.str(), scalars(r["quota"]["guarantee"]), scalars(r["quota"]["limit"]),
               scalars(r["used"]), scalars(r["offered"]), scalars(r["reserved"]), share.str(),
               std::to_string(r["frameworks"].size())});
  }
  table.print(std::cout);
  return 0;
}

int weightCommand(const std::vector<std::string>& args) {
  if (args.size() != 2) {
    std::cerr << "usage: agora weight ROLE WEIGHT   (e.g. agora weight eng/ml 3)\n";
    return 2;
  }
  double weight;
  try {
    weight = std::stod(args[1]);
  } catch (const std::exception&) {
    std::cerr << "agora weight: '" << args[1] << "' is not a number\n";
    return 2;
  }
  return call("PUT", "/api/v1/roles/" + args[0] + "/weight", json{{"weight", weight}}.dump(), "weight");
}

int quotaCommand(const std::vector<std::string>& args) {
  if (args.size() == 3 && args[0] == "set") {
    json body{{"guarantee", args[2]}};
    if (!FLAGS_limit.empty()) body["limit"] = FLAGS_limit;
    return call("PUT", "/api/v1/roles/" + args[1] + "/quota", body.dump(), "quota");
  }
  if (args.size() == 2 && args[0] == "remove") return call("DELETE", "/api/v1/roles/" + args[1] + "/quota", "", "quota");
  std::cerr << "usage: agora quota set ROLE 'cpus:8;mem:16384' [--limit='cpus:16;mem:32768']\n"
               "       agora quota remove ROLE\n";
  return 2;
}

int drainCommand(const std::vector<std::string>& args, bool drain) {
  if (args.size() != 1) {
    std::cerr << (drain ? "usage: agora drain AGENT [--deadline=60]\n" : "usage: agora undrain AGENT\n");
    return 2;
  }
  std::string body = drain ? json{{"deadline_seconds", FLAGS_deadline}}.dump() : "";
  return call("POST", "/api/v1/agents/" + args[0] + (drain ? "/drain" : "/undrain"), body, drain ? "drain" : "undrain");
}

int reserveCommand(const std::vector<std::string>& args, bool reserve) {
  const char* what = reserve ? "reserve" : "unreserve";
  if (args.size() != 2) {
    std::cerr << "usage: agora " << what << " AGENT 'cpus(ROLE):2;mem(ROLE):1024'\n";
    return 2;
  }
  return call("POST", "/api/v1/agents/" + args[0] + "/" + what, json{{"resources", args[1]}}.dump(), what);
}

int teardownCommand(const std::vector<std::string>& args) {
  if (args.size() != 1) {
    std::cerr << "usage: agora teardown FRAMEWORK   (its id, as `agora frameworks` shows it)\n";
    return 2;
  }
  return call("POST", "/api/v1/frameworks/" + args[0] + "/teardown", "", "teardown");
}

}  // namespace agora::cli
