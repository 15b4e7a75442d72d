#include "agent/checkpoint.hpp"

#include <cstring>

#include <capnp/message.h>
#include <capnp/serialize.h>

#include "common/codec.hpp"

namespace agora {

namespace {
const char kAgentIdKey[] = "agent/id";
const char kTaskPrefix[] = "task/";

std::string taskKey(const std::string& frameworkId, const std::string& taskId) {
  return kTaskPrefix + frameworkId + "/" + taskId;
}
}  // namespace

std::string encodeCheckpoint(const TaskCheckpoint& t) {
  capnp::MallocMessageBuilder message;
  auto b = message.initRoot<proto::CheckpointedTask>();
  codec::write(t.framework, b.initFramework());
  codec::write(t.info, b.initTask());
  b.setState(t.state);
  b.setContainerId(t.containerId);
  b.setSandbox(t.sandbox);
  b.setSupervisorPid(t.supervisor.pid);
  b.setSupervisorStartTime(t.supervisor.startTime);
  b.setTaskPid(t.taskPid);
  b.setKillRequested(t.killRequested);
  b.setExitHandled(t.exitHandled);
  b.setKillReason(t.killReason);
  b.setHasHealthy(t.healthy.has_value());
  b.setHealthy(t.healthy.value_or(false));
  b.setReady(t.ready);
  auto pending = b.initPending(static_cast<unsigned>(t.pending.size()));
  for (unsigned i = 0; i < t.pending.size(); ++i) codec::write(t.pending[i], pending[i]);
  kj::Array<capnp::word> words = capnp::messageToFlatArray(message);
  auto bytes = words.asBytes();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

Try<TaskCheckpoint> decodeCheckpoint(const std::string& bytes) {
  if (bytes.empty() || bytes.size() % sizeof(capnp::word) != 0)
    return Error("a checkpoint record of " + std::to_string(bytes.size()) + " bytes is not whole words");
  auto words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), bytes.data(), bytes.size());
  try {
    capnp::FlatArrayMessageReader reader(words.asPtr());
    auto r = reader.getRoot<proto::CheckpointedTask>();
    TaskCheckpoint t;
    t.framework = codec::read(r.getFramework());
    t.frameworkId = t.framework.id;
    Try<TaskInfo> info = codec::read(r.getTask());
    if (info.isError()) return Error("checkpointed task: " + info.error());
    t.info = *info;
    t.state = r.getState();
    t.containerId = r.getContainerId();
    t.sandbox = r.getSandbox();
    t.supervisor = {r.getSupervisorPid(), r.getSupervisorStartTime()};
    t.taskPid = r.getTaskPid();
    t.killRequested = r.getKillRequested();
    t.exitHandled = r.getExitHandled();
    if (t.killRequested && r.getKillReason() != TaskReason::NONE) t.killReason = r.getKillReason();
    for (auto s : r.getPending()) t.pending.push_back(codec::read(s));
    if (r.getHasHealthy()) t.healthy = r.getHealthy();
    t.ready = r.getReady();
    return t;
  } catch (const kj::Exception& e) {
    return Error(std::string("malformed checkpoint record: ") + e.getDescription().cStr());
  }
}

Try<std::unique_ptr<AgentCheckpoint>> AgentCheckpoint::open(const std::string& directory) {
  auto store = openRocksDbStore(directory);
  if (store.isError()) return Error(store.error());
  return std::unique_ptr<AgentCheckpoint>(new AgentCheckpoint(std::move(*store)));
}

Try<std::optional<std::string>> AgentCheckpoint::agentId() const { return store_->get(kAgentIdKey); }

Status AgentCheckpoint::saveAgentId(const std::string& id) { return store_->put(kAgentIdKey, id); }

Status AgentCheckpoint::save(const TaskCheckpoint& task) {
  return store_->put(taskKey(task.frameworkId, task.info.taskId), encodeCheckpoint(task));
}

Status AgentCheckpoint::remove(const std::string& frameworkId, const std::string& taskId) {
  return store_->remove(taskKey(frameworkId, taskId));
}

Try<std::vector<TaskCheckpoint>> AgentCheckpoint::tasks() const {
  auto records = store_->scan(kTaskPrefix);
  if (records.isError()) return Error(records.error());
  std::vector<TaskCheckpoint> out;
  for (const auto& [key, value] : *records) {
    Try<TaskCheckpoint> task = decodeCheckpoint(value);
    if (task.isError()) return Error(key + ": " + task.error());
    out.push_back(std::move(*task));
  }
  return out;
}

Status AgentCheckpoint::clear() {
  auto records = store_->scan("");
  if (records.isError()) return Error(records.error());
  std::vector<StoreWrite> batch;
  for (const auto& [key, value] : *records) batch.push_back({key, std::nullopt});
  return store_->apply(batch);
}

}  // namespace agora
