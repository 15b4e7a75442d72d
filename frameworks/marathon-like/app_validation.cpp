#include "frameworks/marathon-like/app_validation.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <string_view>

#include "common/resources.hpp"
#include "frameworks/marathon-like/app_json.hpp"
#include "frameworks/marathon-like/path_id.hpp"
#include "frameworks/sdk/constraints.hpp"

namespace agora::marathon {

namespace {


std::string num(double d) {
  std::string s = std::to_string(d);
  s.erase(s.find_last_not_of('0') + 1);
  if (s.back() == '.') s += "0";
  return s;
}

void atLeast(Violations& out, const std::string& path, double value, double min) {
  if (value < min) out.push_back({path, "got " + num(value) + ", expected " + num(min) + " or more"});
}

void between(Violations& out, const std::string& path, double value, double min, double max) {
  if (value < min || value > max)
    out.push_back({path, "got " + num(value) + ", expected between " + num(min) + " and " + num(max)});
}

void validateCommand(const AppDefinition& app, Violations& out) {
  bool cmd = app.cmd.has_value(), args = app.args.has_value() && !app.args->empty();
  if (cmd == args) out.push_back({"/", "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'."});
  if (cmd && app.cmd->empty()) out.push_back({"/", "must not be an empty string"});
}

void validatePorts(const AppDefinition& app, Violations& out) {
  std::set<std::string> names;
  std::set<uint64_t> numbers;
  for (size_t i = 0; i < app.portDefinitions.size(); ++i) {
    const PortDefinition& p = app.portDefinitions[i];
    std::string path = indexed("/portDefinitions", i);
    if (p.port > 65535) out.push_back({path + "/port", "got " + std::to_string(p.port) + ", expected between 0 and 65535"});
    if (!p.name.empty() && !names.insert(p.name).second)
      out.push_back({"/portDefinitions", "Port names must be unique."});
    if (p.port != 0 && !numbers.insert(p.port).second)
      out.push_back({"/portDefinitions", "Ports must be unique."});
    if (p.protocol != "tcp" && p.protocol != "udp" && p.protocol != "udp,tcp" && p.protocol != "tcp,udp")
      out.push_back({path + "/protocol", "is not one of (tcp,udp,udp,tcp)"});
    if (app.requirePorts && p.port == 0)
      out.push_back({path + "/port", "requirePorts needs a port number other than 0 for every port definition"});
    if (!p.name.empty() && !isLabel(p.name)) out.push_back({path + "/name", "error.pattern"});
  }
}

// Marathon's words first; the SDK's parser has the last say (and checks regular expressions).
std::string constraintError(std::vector<std::string> parts) {
  if (parts.size() < 2 || parts.size() > 3) return "Each constraint must have either 2 or 3 fields";
  if (parts[0].empty()) return "illegal constraint specification";
  std::transform(parts[1].begin(), parts[1].end(), parts[1].begin(), [](unsigned char c) { return std::toupper(c); });
  static const std::set<std::string> ops = {"UNIQUE", "CLUSTER", "GROUP_BY", "LIKE", "UNLIKE", "MAX_PER", "IS"};
  if (!ops.count(parts[1])) return "operator must be one of the following UNIQUE, CLUSTER, GROUP_BY, LIKE, MAX_PER, UNLIKE or IS";
  bool value = parts.size() == 3;
  // Character checks, not std::regex: it recurses per character, and values have no length limit.
  auto integer = [](const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
  };
  auto text = [](const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("_/.-").find(c) != std::string_view::npos;
    });
  };
  if (parts[1] == "UNIQUE" && value) return "UNIQUE does not accept a value";
  if (parts[1] == "GROUP_BY" && value && !integer(parts[2]))
    return "GROUP BY must define an integer value or else no value at all";
  if (parts[1] == "MAX_PER" && (!value || !integer(parts[2]))) return "MAX_PER requires an integer value";
  if ((parts[1] == "LIKE" || parts[1] == "UNLIKE") && (!value || parts[2].empty()))
    return "LIKE and UNLIKE require a non-empty, regular expression value";
  if (parts[1] == "IS" && value && !text(parts[2]))
    return "IS only supports Mesos text and float values (see http://mesos.apache.org/documentation/latest/attributes-resources/)";
  Try<sdk::Constraint> c = sdk::parseConstraint(parts);
  if (c.isError()) return (parts[1] == "LIKE" || parts[1] == "UNLIKE") ? "is not a valid regular expression" : c.error();
  return "";
}

void validateHealthChecks(const AppDefinition& app, Violations& out) {
  if (app.healthChecks.size() > 1)
    out.push_back({"/", "AppDefinition can contain at most one Mesos health check (Agora runs every health check on the agent)"});
  static const std::set<std::string> protocols = {"HTTP", "TCP", "COMMAND", "MESOS_HTTP", "MESOS_TCP"};
  for (size_t i = 0; i < app.healthChecks.size(); ++i) {
    const AppHealthCheck& h = app.healthChecks[i];
    std::string path = indexed("/healthChecks", i);
    if (h.protocol == "HTTPS" || h.protocol == "MESOS_HTTPS")
      out.push_back({path + "/protocol", h.protocol + " health checks are not supported by Agora yet; use MESOS_HTTP or MESOS_TCP"});
    else if (!protocols.count(h.protocol))
      out.push_back({path + "/protocol", "is not one of (COMMAND,HTTP,HTTPS,TCP,MESOS_HTTP,MESOS_HTTPS,MESOS_TCP)"});
    if (h.protocol == "COMMAND" && h.command.empty()) out.push_back({path + "/command", "Health check protocol COMMAND needs a command"});
    if (h.protocol != "COMMAND") {
      if (h.port && h.portIndex) out.push_back({path, "Health check must specify either a port or a portIndex, not both"});
      if (!h.port && h.portIndex.value_or(0) >= app.portDefinitions.size())
        out.push_back({path, "Health check port indices must address an element of the ports array or container port mappings."});
    }
    atLeast(out, path + "/intervalSeconds", h.intervalSeconds, 1);
    atLeast(out, path + "/timeoutSeconds", h.timeoutSeconds, 1);
    atLeast(out, path + "/gracePeriodSeconds", h.gracePeriodSeconds, 0);
    atLeast(out, path + "/delaySeconds", h.delaySeconds, 0);
    if (h.timeoutSeconds >= h.intervalSeconds && h.intervalSeconds >= 1)
      out.push_back({path + "/timeoutSeconds", "timeoutSeconds must be less than intervalSeconds"});
  }
}

void validateReadinessChecks(const AppDefinition& app, Violations& out) {
  if (app.readinessChecks.size() > 1)
    out.push_back({"/readinessChecks", "got " + std::to_string(app.readinessChecks.size()) + ", expected 1 or less"});
  for (size_t i = 0; i < app.readinessChecks.size(); ++i) {
    const AppReadinessCheck& r = app.readinessChecks[i];
    std::string path = indexed("/readinessChecks", i);
    if (r.protocol != "HTTP") out.push_back({path + "/protocol", "only HTTP readiness checks are supported by Agora yet"});
    bool named = std::any_of(app.portDefinitions.begin(), app.portDefinitions.end(),
                             [&](const PortDefinition& p) { return p.name == r.portName; });
    if (!named) out.push_back({path + "/portName", "No port definition reference for portName " + r.portName});
    atLeast(out, path + "/intervalSeconds", r.intervalSeconds, 1);
    atLeast(out, path + "/timeoutSeconds", r.timeoutSeconds, 1);
    if (r.timeoutSeconds >= r.intervalSeconds && r.intervalSeconds >= 1)
      out.push_back({path + "/timeoutSeconds", "got " + num(r.timeoutSeconds) + ", expected less than " + num(r.intervalSeconds)});
    if (r.httpStatusCodesForReady.empty()) out.push_back({path + "/httpStatusCodesForReady", "must not be empty"});
  }
}

void validateStrategies(const AppDefinition& app, Violations& out) {
  between(out, "/upgradeStrategy/minimumHealthCapacity", app.upgradeStrategy.minimumHealthCapacity, 0, 1);
  between(out, "/upgradeStrategy/maximumOverCapacity", app.upgradeStrategy.maximumOverCapacity, 0, 1);
  const UnreachableStrategy& u = app.unreachableStrategy;
  if (u.enabled) {
    if (u.inactiveAfterSeconds < 0)
      out.push_back({"/unreachableStrategy/inactiveAfterSeconds",
                     "inactiveAfterSeconds (" + num(u.inactiveAfterSeconds) + ") must be greater than or equal to 0"});
    if (u.expungeAfterSeconds < u.inactiveAfterSeconds)
      out.push_back({"/unreachableStrategy/inactiveAfterSeconds",
                     "inactiveAfterSeconds (" + num(u.inactiveAfterSeconds) + ") must be less or equal to expungeAfterSeconds, which is " +
                         num(u.expungeAfterSeconds)});
  }
  atLeast(out, "/backoffSeconds", app.backoffSeconds, 0);
  atLeast(out, "/backoffFactor", app.backoffFactor, 1);
  atLeast(out, "/maxLaunchDelaySeconds", app.maxLaunchDelaySeconds, 0);
  if (app.taskKillGracePeriodSeconds) atLeast(out, "/taskKillGracePeriodSeconds", *app.taskKillGracePeriodSeconds, 0);
}

}  // namespace

void validateApp(const AppDefinition& app, const std::string& frameworkRole, Violations& out) {
  if (app.id == "/") out.push_back({"/", "must not be root"});
  static const std::set<std::string> reserved = {"restart", "tasks", "versions"};
  if (!app.id.empty() && reserved.count(app.id.substr(app.id.rfind('/') + 1)))
    out.push_back({"/id", "must not end with any of the following reserved keywords: restart, tasks, versions, ., .."});
  validateCommand(app, out);
  // Marathon's lower bounds and messages; the upper bound is Agora's, the largest amount a
  // resource can hold (common/resources.hpp).
  for (auto [path, value] : {std::pair<const char*, double>{"/cpus", app.cpus}, {"/mem", app.mem}, {"/disk", app.disk}}) {
    atLeast(out, path, value, 0);
    if (value > kMaxScalar) out.push_back({path, "got " + num(value) + ", expected at most " + num(kMaxScalar)});
  }
  if (app.cpus + app.mem <= 0) out.push_back({"/", "an app must ask for some cpus or mem"});
  validatePorts(app, out);
  for (size_t i = 0; i < app.constraints.size(); ++i) {
    std::string why = constraintError(app.constraints[i]);
    if (!why.empty()) out.push_back({indexed("/constraints", i), why});
  }
  for (const std::string& role : app.acceptedResourceRoles)
    if (role != "*" && role != frameworkRole) {
      out.push_back({"/acceptedResourceRoles", "acceptedResourceRoles can only contain * and " + frameworkRole});
      break;
    }
  if (!app.role.empty() && app.role != frameworkRole)
    out.push_back({"/role", "got " + app.role + ", expected one of: [" + frameworkRole + "]"});
  validateHealthChecks(app, out);
  validateReadinessChecks(app, out);
  validateStrategies(app, out);
  for (size_t i = 0; i < app.dependencies.size(); ++i)
    if (app.dependencies[i] == app.id) out.push_back({indexed("/dependencies", i), "an app cannot depend on itself"});
  for (const auto& [name, value] : app.env)
    if (name.empty()) out.push_back({"/env", "variable names must not be empty"});
}

Try<AppDefinition> readApp(const nlohmann::json& j, const std::string& base, const std::string& frameworkRole,
                           Violations& out) {
  AppDefinition app = appFromJson(j, base, out);
  if (out.empty()) validateApp(app, frameworkRole, out);
  if (!out.empty()) return Error("invalid");
  return app;
}

}  // namespace agora::marathon
