#include "master/task_book.hpp"

namespace agora {

namespace {
const std::set<TaskKey> kNone;

const std::set<TaskKey>& lookup(const std::map<std::string, std::set<TaskKey>>& index, const std::string& id) {
  auto it = index.find(id);
  return it == index.end() ? kNone : it->second;
}
}  // namespace

TaskRecord& TaskBook::place(const TaskKey& key, const TaskInfo& info, bool* inserted) {
  auto [it, made] = tasks_.try_emplace(key);
  TaskRecord& task = it->second;
  if (!made && task.info.agentId != info.agentId) unindex(byAgent_, task.info.agentId, key);
  task.info = info;
  task.frameworkId = key.first;
  byAgent_[info.agentId].insert(key);
  byFramework_[key.first].insert(key);
  if (inserted) *inserted = made;
  return task;
}

TaskRecord* TaskBook::find(const TaskKey& key) {
  auto it = tasks_.find(key);
  return it == tasks_.end() ? nullptr : &it->second;
}

const TaskRecord* TaskBook::find(const TaskKey& key) const {
  auto it = tasks_.find(key);
  return it == tasks_.end() ? nullptr : &it->second;
}

void TaskBook::complete(TaskKey key) {
  auto it = tasks_.find(key);
  if (it == tasks_.end()) return;
  unindex(byAgent_, it->second.info.agentId, key);
  unindex(byFramework_, key.first, key);
  completed_.push_back(std::move(it->second));
  tasks_.erase(it);
  while (completed_.size() > maxCompleted_) completed_.pop_front();
}

const std::set<TaskKey>& TaskBook::ofAgent(const std::string& agentId) const { return lookup(byAgent_, agentId); }

const std::set<TaskKey>& TaskBook::ofFramework(const std::string& frameworkId) const {
  return lookup(byFramework_, frameworkId);
}

void TaskBook::unindex(std::map<std::string, std::set<TaskKey>>& index, const std::string& id, const TaskKey& key) {
  auto it = index.find(id);
  if (it == index.end()) return;
  it->second.erase(key);
  if (it->second.empty()) index.erase(it);
}

}  // namespace agora
