#include "frameworks/marathon-like/app_json.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "common/json_fields.hpp"
#include "frameworks/marathon-like/path_id.hpp"

namespace agora::marathon {

using nlohmann::json;

namespace {

const char* const kGuide = "docs/services.md";


// Fields Marathon shows on a GET that a PUT may carry back; they are not part of a definition.
const std::set<std::string> kReadOnly = {"version", "versionInfo", "tasksStaged", "tasksRunning", "tasksHealthy",
                                         "tasksUnhealthy", "deployments", "tasks", "lastTaskFailure",
                                         "readinessCheckResults", "taskStats", "counts"};

// Fields for what Agora cannot do: accepted only with the value that asks for nothing.
void refuseUnsupported(const json& j, Violations& out) {
  auto empty = [](const json& v) {
    return v.is_null() || (v.is_array() && v.empty()) || (v.is_object() && v.empty()) ||
           (v.is_string() && v.get<std::string>().empty()) || (v.is_boolean() && !v.get<bool>());
  };
  const std::map<std::string, std::string> unsupported = {
      {"fetch", "fetching artifacts is not supported by Agora yet; put what the task needs on the agents or let the command download it"},
      {"uris", "fetching artifacts is not supported by Agora yet; put what the task needs on the agents or let the command download it"},
      {"storeUrls", "storeUrls is not supported by Agora"},
      {"secrets", "secrets are not supported by Agora yet"},
      {"residency", "resident (persistent-volume) apps are not supported by Agora yet"},
      {"ipAddress", "IP-per-task networking is not supported by Agora yet; tasks use the agent's host network"},
      {"executor", "custom executors are not supported by Agora; tasks run under Agora's supervisor"},
      {"check", "Mesos checks are not supported by Agora; use healthChecks or readinessChecks"},
      {"tty", "a TTY for the task is not supported by Agora"},
      {"executorResources", "executor resources are not supported by Agora; the supervisor's share is not asked for"},
      {"resourceLimits", "resource limits above the requested resources are not supported by Agora yet; tasks are limited to what they ask for"},
  };
  for (const auto& [key, why] : unsupported)
    if (j.contains(key) && !empty(j[key])) out.push_back({"/" + key, why});
  if (j.contains("container") && !j["container"].is_null()) {
    const json& c = j["container"];
    auto only = [&](const char* key) { return !c.contains(key) || empty(c[key]); };
    bool mesos = c.is_object() && (!c.contains("type") || c["type"] == "MESOS");
    bool docker = !mesos || c.contains("docker") || !only("volumes") || !only("portMappings") || !only("linuxInfo");
    static const json none = json::object();
    const json& fields = c.is_object() ? c : none;  // both lvalues: no temporary to outlive
    for (const auto& [key, value] : fields.items())
      if (key != "type" && key != "docker" && key != "volumes" && key != "portMappings" && key != "linuxInfo")
        out.push_back({"/container/" + key, "is not a field Agora knows; remove it (see docs/services.md for the fields)"});
    if (docker)
      out.push_back({"/container", "containers with an image, volumes or port mappings are not supported by Agora yet; "
                                   "remove \"container\" to run the command on the agent's own filesystem"});
  }
  if (j.contains("networks") && !j["networks"].is_null() && !j["networks"].is_array())
    out.push_back({"/networks", "error.expected.jsarray"});
  else if (j.contains("networks") && j["networks"].is_array())
    for (size_t i = 0; i < j["networks"].size(); ++i) {
      const json& n = j["networks"][i];
      // Marathon's default mode for a network object is "container".
      if (!n.is_object() || !n.contains("mode") || n["mode"] != "host")
        out.push_back({indexed("/networks", i), "only host networking is supported by Agora yet: give {\"mode\": \"host\"}"});
    }
}

Fields nested(Fields& f, const json& j, const std::string& path) { return Fields(j, path, f.violations()); }

void readPortDefinitions(Fields& f, AppDefinition& app) {
  if (const json* defs = f.array("portDefinitions")) {
    app.portDefinitions.clear();
    for (size_t i = 0; i < defs->size(); ++i) {
      std::string path = indexed("/portDefinitions", i);
      if (!(*defs)[i].is_object()) {
        f.fail(path, "error.expected.jsobject");
        continue;
      }
      Fields d = nested(f, (*defs)[i], path);
      PortDefinition def;
      d.number("port", def.port);
      d.string("name", def.name);
      d.string("protocol", def.protocol);
      d.stringMap("labels", def.labels, "label");
      d.refuseUnknown({"port", "name", "protocol", "labels"}, kGuide);
      app.portDefinitions.push_back(def);
    }
  }
  if (const json* ports = f.array("ports")) {
    if (f.has("portDefinitions")) {
      f.fail("/ports", "You cannot specify both ports and port definitions");
      return;
    }
    app.portDefinitions.clear();
    for (size_t i = 0; i < ports->size(); ++i) {
      if (!(*ports)[i].is_number_unsigned()) {
        f.fail(indexed("/ports", i), "error.expected.jsnumber");
        continue;
      }
      app.portDefinitions.push_back({(*ports)[i].get<uint64_t>(), "", "tcp", {}});
    }
  }
}

AppHealthCheck readHealthCheck(Fields& f, const json& j, const std::string& path) {
  Fields h = nested(f, j, path);
  AppHealthCheck check;
  h.string("protocol", check.protocol);
  h.string("path", check.path);
  uint32_t index = 0;
  if (h.has("portIndex")) h.number("portIndex", index), check.portIndex = index;
  uint64_t port = 0;
  if (h.has("port")) h.number("port", port), check.port = port;
  if (const json* command = h.object("command")) {
    Fields c = nested(f, *command, path + "/command");
    c.string("value", check.command);
    c.refuseUnknown({"value"}, kGuide);
  }
  h.seconds("gracePeriodSeconds", check.gracePeriodSeconds);
  h.seconds("intervalSeconds", check.intervalSeconds);
  h.seconds("timeoutSeconds", check.timeoutSeconds);
  h.seconds("delaySeconds", check.delaySeconds);
  h.number("maxConsecutiveFailures", check.maxConsecutiveFailures);
  h.boolean("ignoreHttp1xx", check.ignoreHttp1xx);
  h.refuseUnknown({"protocol", "path", "portIndex", "port", "command", "gracePeriodSeconds", "intervalSeconds",
                   "timeoutSeconds", "delaySeconds", "maxConsecutiveFailures", "ignoreHttp1xx", "ipProtocol"}, kGuide);
  return check;
}

AppReadinessCheck readReadinessCheck(Fields& f, const json& j, const std::string& path) {
  Fields r = nested(f, j, path);
  AppReadinessCheck check;
  r.string("name", check.name);
  r.string("protocol", check.protocol);
  r.string("path", check.path);
  r.string("portName", check.portName);
  r.seconds("intervalSeconds", check.intervalSeconds);
  r.seconds("timeoutSeconds", check.timeoutSeconds);
  r.boolean("preserveLastResponse", check.preserveLastResponse);
  if (const json* codes = r.array("httpStatusCodesForReady")) {
    check.httpStatusCodesForReady.clear();
    for (size_t i = 0; i < codes->size(); ++i) {
      const json& c = (*codes)[i];
      if (!c.is_number_unsigned() || c.get<uint64_t>() < 100 || c.get<uint64_t>() > 599)
        f.fail(indexed(path + "/httpStatusCodesForReady", i), "must be an HTTP status code (100 to 599)");
      else check.httpStatusCodesForReady.push_back(static_cast<uint16_t>(c.get<uint64_t>()));
    }
  }
  r.refuseUnknown({"name", "protocol", "path", "portName", "intervalSeconds", "timeoutSeconds",
                   "httpStatusCodesForReady", "preserveLastResponse"}, kGuide);
  return check;
}

void readChecks(Fields& f, AppDefinition& app) {
  if (const json* checks = f.array("healthChecks")) {
    for (size_t i = 0; i < checks->size(); ++i) {
      std::string path = indexed("/healthChecks", i);
      if (!(*checks)[i].is_object()) f.fail(path, "error.expected.jsobject");
      else app.healthChecks.push_back(readHealthCheck(f, (*checks)[i], path));
    }
  }
  if (const json* checks = f.array("readinessChecks")) {
    for (size_t i = 0; i < checks->size(); ++i) {
      std::string path = indexed("/readinessChecks", i);
      if (!(*checks)[i].is_object()) f.fail(path, "error.expected.jsobject");
      else app.readinessChecks.push_back(readReadinessCheck(f, (*checks)[i], path));
    }
  }
}

void readConstraints(Fields& f, AppDefinition& app) {
  const json* constraints = f.array("constraints");
  if (!constraints) return;
  for (size_t i = 0; i < constraints->size(); ++i) {
    const json& c = (*constraints)[i];
    std::vector<std::string> parts;
    bool strings = c.is_array();
    for (const json& part : strings ? c : json::array()) {
      if (!part.is_string()) strings = false;
      else parts.push_back(part.get<std::string>());
    }
    if (!strings) {
      f.fail(indexed("/constraints", i), "error.expected.jsarray");
      continue;
    }
    if (parts.size() > 1)  // operators are case-insensitive, as Marathon's
      std::transform(parts[1].begin(), parts[1].end(), parts[1].begin(), [](unsigned char c) { return std::toupper(c); });
    app.constraints.push_back(parts);
  }
}

void readStrategies(Fields& f, AppDefinition& app) {
  if (const json* u = f.object("upgradeStrategy")) {
    Fields s = nested(f, *u, "/upgradeStrategy");
    s.number("minimumHealthCapacity", app.upgradeStrategy.minimumHealthCapacity);
    s.number("maximumOverCapacity", app.upgradeStrategy.maximumOverCapacity);
    s.refuseUnknown({"minimumHealthCapacity", "maximumOverCapacity"}, kGuide);
  }
  if (f.has("unreachableStrategy")) {
    const json& u = f.raw("unreachableStrategy");
    if (u.is_string()) {  // as Marathon: any string means "disabled"
      app.unreachableStrategy.enabled = false;
    } else if (u.is_object()) {
      Fields s = nested(f, u, "/unreachableStrategy");
      s.seconds("inactiveAfterSeconds", app.unreachableStrategy.inactiveAfterSeconds);
      s.seconds("expungeAfterSeconds", app.unreachableStrategy.expungeAfterSeconds);
      s.refuseUnknown({"inactiveAfterSeconds", "expungeAfterSeconds"}, kGuide);
    } else {
      f.fail("/unreachableStrategy", "must be \"disabled\" or {\"inactiveAfterSeconds\": N, \"expungeAfterSeconds\": M}");
    }
  }
  std::string kill;
  f.string("killSelection", kill);
  std::transform(kill.begin(), kill.end(), kill.begin(), [](unsigned char c) { return std::toupper(c); });
  if (kill == "OLDEST_FIRST") app.killSelection = KillSelection::kOldestFirst;
  else if (!kill.empty() && kill != "YOUNGEST_FIRST")
    f.fail("/killSelection", "error.unknown.enum.literal");
}

const std::set<std::string> kKnown = {
    "id", "cmd", "args", "user", "instances", "cpus", "mem", "disk", "gpus", "portDefinitions", "ports",
    "requirePorts", "env", "labels", "constraints", "acceptedResourceRoles", "healthChecks", "readinessChecks",
    "upgradeStrategy", "backoffSeconds", "backoffFactor", "maxLaunchDelaySeconds", "killSelection",
    "unreachableStrategy", "taskKillGracePeriodSeconds", "dependencies", "role", "container", "networks",
    "fetch", "uris", "storeUrls", "secrets", "residency", "ipAddress", "executor", "check", "tty",
    "executorResources", "resourceLimits"};

}  // namespace

AppDefinition appFromJson(const json& j, const std::string& base, Violations& violations) {
  AppDefinition app;
  if (!j.is_object()) {
    violations.push_back({"", "error.expected.jsobject"});
    return app;
  }
  Fields f(j, "", violations);
  std::string id;
  f.string("id", id);
  if (!f.has("id")) f.fail("/id", "error.path.missing");
  else if (j["id"].is_string()) {
    Try<std::string> resolved = resolvePath(id, base);
    if (resolved.isError()) f.fail("/id", resolved.error());
    else app.id = *resolved;
  }
  if (f.has("cmd")) f.string("cmd", app.cmd.emplace());
  if (f.has("args")) f.strings("args", app.args.emplace());
  f.string("user", app.user);
  f.string("role", app.role);
  f.number("instances", app.instances);
  f.number("cpus", app.cpus);
  f.number("mem", app.mem);
  f.number("disk", app.disk);
  f.number("gpus", app.gpus);
  readPortDefinitions(f, app);
  f.boolean("requirePorts", app.requirePorts);
  f.stringMap("env", app.env, "variable's value");
  f.stringMap("labels", app.labels, "label");
  readConstraints(f, app);
  f.strings("acceptedResourceRoles", app.acceptedResourceRoles);
  readChecks(f, app);
  readStrategies(f, app);
  f.seconds("backoffSeconds", app.backoffSeconds);
  f.number("backoffFactor", app.backoffFactor);
  f.seconds("maxLaunchDelaySeconds", app.maxLaunchDelaySeconds);
  f.seconds("taskKillGracePeriodSeconds", app.taskKillGracePeriodSeconds);
  std::vector<std::string> dependencies;
  f.strings("dependencies", dependencies);
  std::string group = app.id.empty() ? base : parentOf(app.id);
  for (size_t i = 0; i < dependencies.size(); ++i) {
    Try<std::string> dep = resolvePath(dependencies[i], group);
    if (dep.isError()) f.fail(indexed("/dependencies", i), dep.error());
    else app.dependencies.push_back(*dep);
  }
  refuseUnsupported(j, violations);
  std::set<std::string> known = kKnown;
  known.insert(kReadOnly.begin(), kReadOnly.end());
  f.refuseUnknown(known, kGuide);
  return app;
}

namespace {

json healthCheckJson(const AppHealthCheck& h) {
  json j = {{"protocol", h.protocol}, {"ipProtocol", "IPv4"}, {"gracePeriodSeconds", wholeSeconds(h.gracePeriodSeconds)},
            {"intervalSeconds", wholeSeconds(h.intervalSeconds)}, {"timeoutSeconds", wholeSeconds(h.timeoutSeconds)},
            {"delaySeconds", wholeSeconds(h.delaySeconds)}, {"maxConsecutiveFailures", h.maxConsecutiveFailures}};
  if (h.protocol == "COMMAND") {
    j["command"] = {{"value", h.command}};
    return j;
  }
  if (h.port) j["port"] = *h.port;
  else j["portIndex"] = h.portIndex.value_or(0);
  if (h.protocol.find("HTTP") != std::string::npos) {
    j["path"] = h.path;
    j["ignoreHttp1xx"] = h.ignoreHttp1xx;
  }
  return j;
}

json readinessCheckJson(const AppReadinessCheck& r) {
  return {{"name", r.name}, {"protocol", r.protocol}, {"path", r.path}, {"portName", r.portName},
          {"intervalSeconds", wholeSeconds(r.intervalSeconds)}, {"timeoutSeconds", wholeSeconds(r.timeoutSeconds)},
          {"httpStatusCodesForReady", r.httpStatusCodesForReady}, {"preserveLastResponse", r.preserveLastResponse}};
}

}  // namespace

json appToJson(const AppDefinition& app) {
  json ports = json::array();
  for (const PortDefinition& p : app.portDefinitions) {
    json d = {{"port", p.port}, {"protocol", p.protocol}};
    if (!p.name.empty()) d["name"] = p.name;
    if (!p.labels.empty()) d["labels"] = p.labels;
    ports.push_back(d);
  }
  json j = {
      {"id", app.id},
      {"instances", app.instances},
      {"cpus", app.cpus},
      {"mem", app.mem},
      {"disk", app.disk},
      {"gpus", app.gpus},
      {"executor", ""},
      {"portDefinitions", ports},
      {"requirePorts", app.requirePorts},
      {"labels", app.labels},
      {"upgradeStrategy",
       {{"minimumHealthCapacity", app.upgradeStrategy.minimumHealthCapacity},
        {"maximumOverCapacity", app.upgradeStrategy.maximumOverCapacity}}},
      {"backoffSeconds", wholeSeconds(app.backoffSeconds)},
      {"backoffFactor", app.backoffFactor},
      {"maxLaunchDelaySeconds", wholeSeconds(app.maxLaunchDelaySeconds)},
      {"killSelection", app.killSelection == KillSelection::kOldestFirst ? "OLDEST_FIRST" : "YOUNGEST_FIRST"},
      {"networks", json::array({{{"mode", "host"}}})},
      {"role", app.role.empty() ? "*" : app.role},
  };
  // As Marathon writes them: empty lists and maps, and unset options, are left out.
  if (app.cmd) j["cmd"] = *app.cmd;
  if (app.args && !app.args->empty()) j["args"] = *app.args;
  if (!app.user.empty()) j["user"] = app.user;
  if (!app.env.empty()) j["env"] = app.env;
  if (!app.constraints.empty()) j["constraints"] = app.constraints;
  if (!app.acceptedResourceRoles.empty()) j["acceptedResourceRoles"] = app.acceptedResourceRoles;
  if (!app.dependencies.empty()) j["dependencies"] = app.dependencies;
  if (!app.healthChecks.empty()) {
    for (const auto& h : app.healthChecks) j["healthChecks"].push_back(healthCheckJson(h));
  }
  if (!app.readinessChecks.empty()) {
    for (const auto& r : app.readinessChecks) j["readinessChecks"].push_back(readinessCheckJson(r));
  }
  if (app.taskKillGracePeriodSeconds) j["taskKillGracePeriodSeconds"] = wholeSeconds(*app.taskKillGracePeriodSeconds);
  j["unreachableStrategy"] = app.unreachableStrategy.enabled
                                 ? json{{"inactiveAfterSeconds", wholeSeconds(app.unreachableStrategy.inactiveAfterSeconds)},
                                        {"expungeAfterSeconds", wholeSeconds(app.unreachableStrategy.expungeAfterSeconds)}}
                                 : json("disabled");
  if (!app.version.empty()) j["version"] = app.version;
  if (!app.versionInfo.lastConfigChangeAt.empty())
    j["versionInfo"] = {{"lastScalingAt", app.versionInfo.lastScalingAt}, {"lastConfigChangeAt", app.versionInfo.lastConfigChangeAt}};
  return j;
}

Try<AppDefinition> storedAppFromJson(const json& j) {
  if (!j.is_object()) return Error("a stored app is not a JSON object");
  Violations violations;
  AppDefinition app = appFromJson(j, "/", violations);
  if (!violations.empty())
    return Error("a stored app does not read: " + violations[0].path + ": " + violations[0].error);
  auto text = [](const json& o, const char* key) {
    auto it = o.find(key);
    return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  app.version = text(j, "version");
  if (auto info = j.find("versionInfo"); info != j.end() && info->is_object())
    app.versionInfo = {text(*info, "lastScalingAt"), text(*info, "lastConfigChangeAt")};
  return app;
}

bool configDiffers(const AppDefinition& a, const AppDefinition& b) {
  json x = appToJson(a), y = appToJson(b);
  for (const char* key : {"instances", "version", "versionInfo"}) x.erase(key), y.erase(key);
  return x != y;
}

json mergePatch(json current, const json& patch) {
  if (!patch.is_object()) return patch;
  for (const auto& [k, v] : patch.items()) current[k] = v;
  return current;
}

}  // namespace agora::marathon
