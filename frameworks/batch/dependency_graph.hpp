#pragma once
// Dependencies between jobs: a child runs when every parent has succeeded since the child's
// last start. The graph must stay acyclic, and a failed parent blocks its children until it
// succeeds again. Pure: the framework persists each child's DependencyState with the run
// records that change it, so that a child fires after a restart.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace agora::batch {

using ParentsOf = std::map<std::string, std::vector<std::string>>;  // job id -> its parents

// A cycle in the graph, named "a -> b -> c -> a" (each depends on the next), if there is one.
std::optional<std::string> findCycle(const ParentsOf& graph);

// The jobs that name `parent` among their dependencies.
std::vector<std::string> childrenOf(const ParentsOf& graph, const std::string& parent);

struct DependencyState {
  std::set<std::string> succeeded;               // parents that succeeded since the child's last start
  std::map<std::string, std::string> blockedBy;  // parent -> why it blocks (its failed run)
};

// A parent's run succeeded: whether the child should start now (every parent has succeeded).
// Starting it is the caller's; it then calls started().
bool parentSucceeded(DependencyState& state, const std::vector<std::string>& parents, const std::string& parent);
void parentFailed(DependencyState& state, const std::string& parent, const std::string& why);
void started(DependencyState& state);

}  // namespace agora::batch
