#include "master/validation.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include <cmath>

#include "common/ids.hpp"
#include "common/text.hpp"

namespace agora {

static Status fail(const TaskInfo& task, const std::string& why) {
  return Error("task '" + task.taskId + "': " + why);
}

static Status validateLabels(const TaskInfo& task) {
  for (const auto& [key, value] : task.labels) {
    if (key.empty()) return fail(task, "has a label with an empty key");
    Status k = checkText("label key", key, kMaxNameBytes);
    if (k.ok()) k = checkText("value of label '" + key + "'", value, kMaxLabelBytes);
    if (!k.ok()) return fail(task, k.error());
  }
  return Status::OK();
}

// A POSIX portable user name; whether the user exists is the agent's to say.
static Status validateUser(const TaskInfo& task) {
  const std::string& u = task.user;
  if (u.empty()) return Status::OK();
  bool ok = u.size() <= 32 && u[0] != '-';
  for (char c : u) ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                               c == '_' || c == '-' || c == '.');
  if (!ok) return fail(task, "user '" + u + "' is not a valid user name (letters, digits, '_', '-', '.'; at most 32)");
  return Status::OK();
}

// Each port the task lists is one of its ports resources, once; names are unique and can
// be part of an environment variable's name (PORT_<NAME>).
static Status validatePorts(const TaskInfo& task) {
  Ranges own = task.resources.ranges("ports");
  std::set<uint64_t> numbers;
  std::set<std::string> names;
  for (const TaskPort& p : task.ports) {
    if (!rangesContain(own, {{p.number, p.number}}))
      return fail(task, "lists port " + std::to_string(p.number) + ", which is not in its ports resources");
    if (!numbers.insert(p.number).second) return fail(task, "lists port " + std::to_string(p.number) + " twice");
    if (p.name.empty()) continue;
    bool ok = p.name.size() <= 64;
    for (char c : p.name) ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                                      c == '_' || c == '-');
    if (!ok) return fail(task, "port name '" + p.name + "' may hold only letters, digits, '_' and '-' (at most 64)");
    // PORT_<NAME> is upper case with '_' for '-': names that look alike there would collide.
    std::string env = portVariable(p.name);
    if (!names.insert(env).second) return fail(task, "has two ports named '" + p.name + "' (as " + env + ")");
  }
  return Status::OK();
}

static bool isSeconds(double v) { return std::isfinite(v) && v >= 0; }

// `what` names the command in errors ("health check: "); empty for the task's own.
static Status validateCommand(const TaskInfo& task, const CommandInfo& command, const std::string& what) {
  if (command.value.empty())
    return fail(task, what + (command.shell ? "has no command: set command.value to a shell command"
                                            : "has no program: set command.value to the program's path"));
  for (const auto& [name, value] : command.environment)
    if (name.empty() || name.find('=') != std::string::npos)
      return fail(task, what + "environment variable name '" + name + "' is empty or contains '='");
  // The agent hands command and environment to the task's supervisor as JSON text.
  bool utf8 = isUtf8(command.value);
  for (const auto& a : command.arguments) utf8 = utf8 && isUtf8(a);
  for (const auto& [name, value] : command.environment) utf8 = utf8 && isUtf8(name) && isUtf8(value);
  if (!utf8) return fail(task, what + "command, arguments and environment must be UTF-8 text");
  return Status::OK();
}

static Status validatePath(const TaskInfo& task, const std::string& path, const std::string& what) {
  bool ok = !path.empty() && path[0] == '/' && path.size() <= kMaxNameBytes;
  for (char c : path) ok = ok && c > ' ' && c < 127;
  if (!ok) return fail(task, what + " path '" + path + "' must start with '/' and hold no spaces or control characters");
  return Status::OK();
}

static Status validateHealthCheck(const TaskInfo& task, const HealthCheck& h) {
  if (h.kind != CheckKind::COMMAND && h.kind != CheckKind::HTTP && h.kind != CheckKind::TCP)
    return fail(task, "health check type " + std::to_string(static_cast<int>(h.kind)) +
                          " is unknown: use COMMAND, HTTP or TCP");
  if (!isSeconds(h.delaySeconds) || !isSeconds(h.gracePeriodSeconds))
    return fail(task, "health check delay and grace period must be non-negative numbers of seconds");
  if (!isSeconds(h.intervalSeconds) || h.intervalSeconds <= 0 || !isSeconds(h.timeoutSeconds) || h.timeoutSeconds <= 0)
    return fail(task, "health check interval and timeout must be positive numbers of seconds");
  if (h.kind == CheckKind::COMMAND) return validateCommand(task, h.command, "health check: ");
  if (h.kind == CheckKind::HTTP) {
    Status path = validatePath(task, h.path, "health check");
    if (!path.ok()) return path;
  }
  Try<uint64_t> port = resolvePort(task, h.port);
  if (port.isError()) return fail(task, "health check: " + port.error());
  return Status::OK();
}

static Status validateReadinessCheck(const TaskInfo& task, const ReadinessCheck& r) {
  if (!isSeconds(r.intervalSeconds) || r.intervalSeconds <= 0 || !isSeconds(r.timeoutSeconds) || r.timeoutSeconds <= 0)
    return fail(task, "readiness check interval and timeout must be positive numbers of seconds");
  Status path = validatePath(task, r.path, "readiness check");
  if (!path.ok()) return path;
  for (uint16_t code : r.readyStatusCodes)
    if (code < 100 || code > 599) return fail(task, "readiness check status code " + std::to_string(code) + " is not an HTTP status");
  Try<uint64_t> port = resolvePort(task, r.port);
  if (port.isError()) return fail(task, "readiness check: " + port.error());
  return Status::OK();
}

Status validateTask(const TaskInfo& task, const LaunchContext& context) {
  if (!isValidId(task.taskId))
    return Error("task id '" + task.taskId +
                 "' is invalid: use 1 to 200 letters, digits, '.', '_' or '-'");
  Status name = checkText("task '" + task.taskId + "' name", task.name, kMaxNameBytes);
  if (!name.ok()) return name;
  if (context.isTaskIdInUse && context.isTaskIdInUse(task.taskId))
    return fail(task, "the id is already used by another task of this framework");
  if (!task.agentId.empty() && task.agentId != context.agentId)
    return fail(task, "names agent '" + task.agentId + "' but the offers are for agent '" + context.agentId + "'");
  Status command = validateCommand(task, task.command, "");
  if (!command.ok()) return command;
  if (!std::isfinite(task.killGracePeriodSeconds) || task.killGracePeriodSeconds < 0)
    return fail(task, "kill grace period must be a non-negative number of seconds");
  if (!std::isfinite(task.maxCompletionTimeSeconds) || task.maxCompletionTimeSeconds < 0)
    return fail(task, "maxCompletionTimeSeconds must be a non-negative number of seconds (0: no limit)");
  Status labels = validateLabels(task);
  if (!labels.ok()) return labels;
  Status user = validateUser(task);
  if (!user.ok()) return user;
  Status ports = validatePorts(task);
  if (!ports.ok()) return ports;
  if (task.healthCheck) {
    Status health = validateHealthCheck(task, *task.healthCheck);
    if (!health.ok()) return health;
  }
  if (task.readinessCheck) {
    Status readiness = validateReadinessCheck(task, *task.readinessCheck);
    if (!readiness.ok()) return readiness;
  }
  if (task.resources.empty())
    return fail(task, "asks for no resources: give at least cpus or mem (for example cpus:0.1;mem:32)");
  if (task.resources.scalarMilli("cpus") <= 0 && task.resources.scalarMilli("mem") <= 0)
    return fail(task, "asks for neither cpus nor mem: give at least one of them");
  if (!context.remaining.contains(task.resources))
    return fail(task, "asks for " + task.resources.toString() + " but the offers have only " +
                          (context.remaining.empty() ? std::string("nothing") : context.remaining.toString()) +
                          " left");
  return Status::OK();
}

Status validateOfferIds(const std::vector<std::string>& offerIds, const std::string& frameworkId,
                        const std::function<const Offer*(const std::string&)>& lookup) {
  if (offerIds.empty()) return Error("the call names no offers");
  std::set<std::string> seen;
  std::string agentId;
  for (const auto& id : offerIds) {
    if (!seen.insert(id).second) return Error("offer '" + id + "' appears twice");
    const Offer* offer = lookup(id);
    if (!offer)
      return Error("offer '" + id + "' is not outstanding (it was already used, declined or rescinded)");
    if (offer->frameworkId != frameworkId) return Error("offer '" + id + "' belongs to another framework");
    if (agentId.empty()) agentId = offer->agentId;
    if (offer->agentId != agentId)
      return Error("offers '" + offerIds.front() + "' and '" + id + "' are for different agents");
  }
  return Status::OK();
}

Status validateReserve(const Resources& reserve, const std::vector<std::string>& frameworkRoles,
                       const Resources& remaining) {
  if (reserve.empty()) return Error("RESERVE names no resources");
  for (const Resource& r : reserve.items()) {
    if (r.role == "*") return Error("RESERVE of " + r.name + " names no role: write it as " + r.name + "(ROLE)");
    if (std::find(frameworkRoles.begin(), frameworkRoles.end(), r.role) == frameworkRoles.end())
      return Error("RESERVE for role '" + r.role + "', which is not one of the framework's roles");
  }
  if (!remaining.reservedFor("*").contains(reserve.flatten()))
    return Error("RESERVE of " + reserve.toString() + " but the offers have only " +
                 remaining.reservedFor("*").toString() + " unreserved");
  return Status::OK();
}

Status validateUnreserve(const Resources& unreserve, const Resources& dynamic, const Resources& remaining) {
  if (unreserve.empty()) return Error("UNRESERVE names no resources");
  if (!dynamic.contains(unreserve))
    return Error("UNRESERVE of " + unreserve.toString() + ", which is not (all) dynamically reserved on the agent");
  if (!remaining.contains(unreserve))
    return Error("UNRESERVE of " + unreserve.toString() + " but the offers hold only " + remaining.toString());
  return Status::OK();
}

}  // namespace agora
