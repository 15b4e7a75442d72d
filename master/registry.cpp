#include "master/registry.hpp"

#include <cstdlib>
#include <cstring>

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

class RocksDbRegistry final : public Registry {
 public:
  explicit RocksDbRegistry(std::unique_ptr<Store> store) : store_(std::move(store)) {}

  Try<RegistryState> load() override {
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

  Status putAgent(const AgentInfo& agent) override {
    return store_->put("agent/" + agent.id, serialize<proto::AgentInfo>(agent));
  }
  // "removed/" is written first: after a crash between the two writes the agent is still
  // refused, and load() drops the admitted entry.
  Status removeAgent(const std::string& agentId, double when) override {
    Status removed = store_->put("removed/" + agentId, std::to_string(when));
    if (!removed.ok()) return removed;
    return store_->remove("agent/" + agentId);
  }
  Status putFramework(const FrameworkInfo& fw) override {
    return store_->put("framework/" + fw.id, serialize<proto::FrameworkInfo>(fw));
  }
  Status removeFramework(const std::string& id) override { return store_->remove("framework/" + id); }
  Status putRole(const std::string& role, const RoleConfig& config) override {
    nlohmann::json j{{"weight", config.weight},
                     {"guarantee", config.quota.guarantee.toJson()},
                     {"limit", config.quota.limit.toJson()}};
    return store_->put("role/" + role, j.dump());
  }
  Status removeRole(const std::string& role) override { return store_->remove("role/" + role); }
  Status putDrain(const std::string& agentId, double deadline) override {
    return store_->put("drain/" + agentId, std::to_string(deadline));
  }
  Status removeDrain(const std::string& agentId) override { return store_->remove("drain/" + agentId); }
  Status putReservations(const std::string& agentId, const Resources& reserved) override {
    if (reserved.empty()) return store_->remove("reservation/" + agentId);
    return store_->put("reservation/" + agentId, reserved.toString());
  }

 private:
  std::unique_ptr<Store> store_;
};

}  // namespace

Try<std::unique_ptr<Registry>> openRocksDbRegistry(const std::string& directory) {
  auto store = Store::open(directory);
  if (store.isError()) return Error(store.error());
  return std::unique_ptr<Registry>(std::make_unique<RocksDbRegistry>(std::move(*store)));
}

}  // namespace agora
