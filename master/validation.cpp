#include "master/validation.hpp"

#include <algorithm>
#include <set>

#include <cmath>

#include "common/ids.hpp"
#include "common/text.hpp"

namespace agora {

static Status fail(const TaskInfo& task, const std::string& why) {
  return Error("task '" + task.taskId + "': " + why);
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
  if (task.command.value.empty())
    return fail(task, task.command.shell ? "has no command: set command.value to a shell command"
                                         : "has no program: set command.value to the program's path");
  for (const auto& [name, value] : task.command.environment)
    if (name.empty() || name.find('=') != std::string::npos)
      return fail(task, "environment variable name '" + name + "' is empty or contains '='");
  // The agent hands command and environment to the task's supervisor as JSON text.
  bool utf8 = isUtf8(task.command.value);
  for (const auto& a : task.command.arguments) utf8 = utf8 && isUtf8(a);
  for (const auto& [name, value] : task.command.environment) utf8 = utf8 && isUtf8(name) && isUtf8(value);
  if (!utf8) return fail(task, "command, arguments and environment must be UTF-8 text");
  if (!std::isfinite(task.killGracePeriodSeconds) || task.killGracePeriodSeconds < 0)
    return fail(task, "kill grace period must be a non-negative number of seconds");
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
