#include "master/registry.hpp"

#include <cstdlib>
#include <cstring>
#include <future>

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <nlohmann/json.hpp>

#include "common/codec.hpp"

namespace agora {
namespace {

// Entries are stored in their wire form, so the registry needs no second schema.
template <typename Schema, typename Value>
std::string serialize(const Value& value) {
  capnp::MallocMessageBuilder message;
  codec::write(value, message.initRoot<Schema>());
  auto words = capnp::messageToFlatArray(message);
  auto bytes = words.asBytes();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

template <typename Schema>
auto deserialize(const std::string& bytes) -> decltype(codec::read(typename Schema::Reader())) {
  auto words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), bytes.data(), words.size() * sizeof(capnp::word));
  capnp::FlatArrayMessageReader reader(words);
  return codec::read(reader.getRoot<Schema>());
}

// Role entries are JSON: they hold nothing the wire carries.
Try<RoleConfig> parseRole(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("weight")) return Error("not a role entry: " + text);
  RoleConfig config;
  config.weight = j.value("weight", 1.0);
  auto guarantee = Resources::fromJson(j.value("guarantee", nlohmann::json::object()));
  auto limit = Resources::fromJson(j.value("limit", nlohmann::json::object()));
  if (guarantee.isError()) return Error(guarantee.error());
  if (limit.isError()) return Error(limit.error());
  config.quota = Quota{*guarantee, *limit};
  return config;
}

}  // namespace

Registry::Registry(EventLoop& loop, std::unique_ptr<Store> store)
    : loop_(loop), store_(std::move(store)), writer_([this] { writerLoop(); }) {}

Registry::~Registry() {
  *alive_ = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  writer_.join();
}

Try<RegistryState> Registry::load() const {
  RegistryState state;
  try {
    auto agents = store_->scan("agent/");
    if (agents.isError()) return Error(agents.error());
    for (const auto& [key, value] : *agents) {
      Try<AgentInfo> agent = deserialize<proto::AgentInfo>(value);
      if (agent.isError()) return Error("registry entry " + key + ": " + agent.error());
      state.agents[agent->id] = *agent;
    }
    auto removed = store_->scan("removed/");
    if (removed.isError()) return Error(removed.error());
    for (const auto& [key, value] : *removed) {
      std::string id = key.substr(8);
      state.removedAgents[id] = std::strtod(value.c_str(), nullptr);
      state.agents.erase(id);
    }
    auto roles = store_->scan("role/");
    if (roles.isError()) return Error(roles.error());
    for (const auto& [key, value] : *roles) {
      Try<RoleConfig> role = parseRole(value);
      if (role.isError()) return Error("registry entry " + key + ": " + role.error());
      state.roles[key.substr(5)] = *role;
    }
    auto draining = store_->scan("drain/");
    if (draining.isError()) return Error(draining.error());
    for (const auto& [key, value] : *draining) {
      try {
        state.draining[key.substr(6)] = std::stod(value);
      } catch (const std::exception&) {
        return Error("registry entry " + key + " is not a deadline: " + value);
      }
    }
    auto reservations = store_->scan("reservation/");
    if (reservations.isError()) return Error(reservations.error());
    for (const auto& [key, value] : *reservations) {
      Try<Resources> r = Resources::parse(value);
      if (r.isError()) return Error("registry entry " + key + ": " + r.error());
      state.reservations[key.substr(12)] = *r;
    }
    auto frameworks = store_->scan("framework/");
    if (frameworks.isError()) return Error(frameworks.error());
    for (const auto& [key, value] : *frameworks) {
      FrameworkInfo fw = deserialize<proto::FrameworkInfo>(value);
      state.frameworks[fw.id] = fw;
    }
  } catch (const kj::Exception& e) {
    return Error(std::string("the registry is corrupt: ") + e.getDescription().cStr());
  }
  return state;
}

void Registry::submit(std::vector<StoreWrite> writes, Done done) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back({std::move(writes), std::move(done), nullptr});
  }
  wake_.notify_one();
}

// Whatever came while the last batch was being written goes in the next one.
void Registry::writerLoop() {
  for (;;) {
    std::deque<Change> batch;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and all written
      // As much as the store takes in one batch (etcd: one transaction), at least one change.
      size_t limit = store_->maxBatchWrites(), writes = 0;
      while (!queue_.empty() && (batch.empty() || limit == 0 || writes + queue_.front().writes.size() <= limit)) {
        writes += queue_.front().writes.size();
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      writing_ = batch.size();
    }
    std::vector<StoreWrite> writes;
    for (Change& c : batch)
      for (StoreWrite& w : c.writes) writes.push_back(std::move(w));
    Status written = store_->apply(writes);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      writing_ = 0;
      counters_.writes += batch.size();
      counters_.batches += 1;
      counters_.largestBatch = std::max<uint64_t>(counters_.largestBatch, batch.size());
      if (!written.ok()) counters_.failed += batch.size();
    }
    std::vector<Done> answers;
    for (Change& c : batch) {
      if (c.direct) c.direct->set_value(written);
      answers.push_back(std::move(c.done));
    }
    loop_.post([alive = alive_, answers = std::move(answers), written] {
      if (!*alive) return;
      for (const Done& done : answers)
        if (done) done(written);
    });
  }
}

RegistryCounters Registry::counters() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return counters_;
}

size_t Registry::inFlight() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queue_.size() + writing_;
}

void Registry::putAgent(const AgentInfo& agent, Done done) {
  submit({{"agent/" + agent.id, serialize<proto::AgentInfo>(agent)}}, std::move(done));
}

// "removed/" comes first in the batch; load() drops an admitted entry of a removed agent too.
void Registry::removeAgent(const std::string& agentId, double when, Done done) {
  submit({{"removed/" + agentId, std::to_string(when)}, {"agent/" + agentId, std::nullopt}}, std::move(done));
}

void Registry::forgetRemovedAgents(const std::vector<std::string>& agentIds, Done done) {
  std::vector<StoreWrite> writes;
  for (const std::string& id : agentIds) writes.push_back({"removed/" + id, std::nullopt});
  submit(std::move(writes), std::move(done));
}

void Registry::putFramework(const FrameworkInfo& fw, Done done) {
  submit({{"framework/" + fw.id, serialize<proto::FrameworkInfo>(fw)}}, std::move(done));
}

void Registry::removeFramework(const std::string& id, Done done) {
  submit({{"framework/" + id, std::nullopt}}, std::move(done));
}

void Registry::putRole(const std::string& role, const RoleConfig& config, Done done) {
  nlohmann::json j{{"weight", config.weight},
                   {"guarantee", config.quota.guarantee.toJson()},
                   {"limit", config.quota.limit.toJson()}};
  submit({{"role/" + role, j.dump()}}, std::move(done));
}

void Registry::removeRole(const std::string& role, Done done) { submit({{"role/" + role, std::nullopt}}, std::move(done)); }

void Registry::putDrain(const std::string& agentId, double deadline, Done done) {
  submit({{"drain/" + agentId, std::to_string(deadline)}}, std::move(done));
}

void Registry::removeDrain(const std::string& agentId, Done done) {
  submit({{"drain/" + agentId, std::nullopt}}, std::move(done));
}

// No reservations: no entry.
static StoreWrite reservationWrite(const std::string& agentId, const Resources& reserved) {
  return {"reservation/" + agentId, reserved.empty() ? std::nullopt : std::optional(reserved.toString())};
}

void Registry::putReservations(const std::string& agentId, const Resources& reserved, Done done) {
  submit({reservationWrite(agentId, reserved)}, std::move(done));
}

Status Registry::putReservationsNow(const std::string& agentId, const Resources& reserved) {
  auto result = std::make_shared<std::promise<Status>>();
  std::future<Status> written = result->get_future();
  // Answered by the writer thread itself: the loop that would run an answer is waiting here.
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back({{reservationWrite(agentId, reserved)}, nullptr, result});
  }
  wake_.notify_one();
  return written.get();
}

Try<std::unique_ptr<Registry>> openRocksDbRegistry(EventLoop& loop, const std::string& directory) {
  auto store = openRocksDbStore(directory);
  if (store.isError()) return Error(store.error());
  return std::make_unique<Registry>(loop, std::move(*store));
}

}  // namespace agora
