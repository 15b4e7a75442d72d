#pragma once
// Validation of a framework's accept, at the edge: the master's bookkeeping behind it trusts
// what passes. Messages say exactly what was wrong so that the framework author can fix it.

#include <functional>
#include <string>
#include <vector>

#include "common/types.hpp"

namespace agora {

// What a task is checked against: the agent its offers are for, the task ids the framework
// already uses (including earlier tasks of the same accept), and what the offers have left.
struct LaunchContext {
  std::string agentId;
  // Looks the id up where the framework's tasks are kept: copying them per accept would cost
  // as much as the framework has tasks.
  std::function<bool(const std::string&)> isTaskIdInUse;
  Resources remaining;
};

// OK, or why the task cannot run. On OK the caller subtracts the task's resources from
// `remaining` and records its id.
Status validateTask(const TaskInfo& task, const LaunchContext& context);

// RESERVE: every resource names one of the framework's roles, and its unreserved amount is in
// `remaining`. UNRESERVE: every resource is a dynamic reservation (in `dynamic`) and is in
// `remaining`. OK, or what is wrong.
Status validateReserve(const Resources& reserve, const std::vector<std::string>& frameworkRoles,
                       const Resources& remaining);
Status validateUnreserve(const Resources& unreserve, const Resources& dynamic, const Resources& remaining);

// The offers of one accept: all known, all of this framework, all for one agent, none twice.
// `lookup` finds an outstanding offer by id, or returns nullptr.
Status validateOfferIds(const std::vector<std::string>& offerIds, const std::string& frameworkId,
                        const std::function<const Offer*(const std::string&)>& lookup);

}  // namespace agora
