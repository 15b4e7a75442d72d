#include "frameworks/batch/dependency_graph.hpp"

#include <algorithm>
#include <functional>

namespace agora::batch {

std::optional<std::string> findCycle(const ParentsOf& graph) {
  enum class Mark { kNone, kOnPath, kDone };
  std::map<std::string, Mark> mark;
  std::vector<std::string> path;
  std::optional<std::string> found;
  std::function<void(const std::string&)> visit = [&](const std::string& job) {
    if (found) return;
    mark[job] = Mark::kOnPath;
    path.push_back(job);
    auto it = graph.find(job);
    if (it != graph.end()) {
      for (const std::string& parent : it->second) {
        if (found) break;
        if (mark[parent] == Mark::kOnPath) {
          std::string cycle;
          for (auto p = std::find(path.begin(), path.end(), parent); p != path.end(); ++p) cycle += *p + " -> ";
          found = cycle + parent;
        } else if (mark[parent] == Mark::kNone) {
          visit(parent);
        }
      }
    }
    path.pop_back();
    mark[job] = Mark::kDone;
  };
  for (const auto& [job, parents] : graph)
    if (mark[job] == Mark::kNone) visit(job);
  return found;
}

std::vector<std::string> childrenOf(const ParentsOf& graph, const std::string& parent) {
  std::vector<std::string> out;
  for (const auto& [job, parents] : graph)
    if (std::find(parents.begin(), parents.end(), parent) != parents.end()) out.push_back(job);
  return out;
}

bool parentSucceeded(DependencyState& state, const std::vector<std::string>& parents, const std::string& parent) {
  state.succeeded.insert(parent);
  state.blockedBy.erase(parent);
  return std::all_of(parents.begin(), parents.end(), [&](const std::string& p) { return state.succeeded.count(p) > 0; });
}

void parentFailed(DependencyState& state, const std::string& parent, const std::string& why) {
  state.succeeded.erase(parent);
  state.blockedBy[parent] = why;
}

void started(DependencyState& state) { state.succeeded.clear(); }

}  // namespace agora::batch
