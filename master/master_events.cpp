// The operator's event stream (/api/v1/events) and the reads a dashboard starts from
// (/api/v1/frameworks, /api/v1/pending). Agents, frameworks and tasks are published as they
// change; a client loads the lists once and then follows the stream.
#include <charconv>
#include <cstdio>
#include <string_view>

#include "common/json.hpp"
#include "common/text.hpp"
#include "master/master.hpp"

namespace agora {

using nlohmann::json;

namespace {

std::string text(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string lostEvent(uint64_t lastEventId, uint64_t firstKept) {
  json lost = {{"type", "EVENTS_LOST"},
               {"last_event_id", lastEventId},
               {"first_available_id", firstKept},
               {"message", "the master no longer holds the events after " + std::to_string(lastEventId) +
                               " (it keeps the last --events_kept, and a new leading master starts afresh); "
                               "read the state again (GET /api/v1/agents, /api/v1/frameworks, /api/v1/tasks)"}};
  return sseEvent("EVENTS_LOST", text(lost));
}

// Task events are written as text directly: every launch makes three of them, and building
// each as a json object first cost the master a quarter of its launch rate (10,000 agents,
// 100,000 tasks: 8.0 s against 6.1 s without events).
class JsonText {
 public:
  JsonText& key(const char* name) {
    out_ += first_ ? "\"" : ",\"";
    first_ = false;
    out_ += name;
    out_ += "\":";
    return *this;
  }
  JsonText& str(const char* name, std::string_view value) {
    key(name);
    out_ += '"';
    for (char c : value) {
      if (c == '"' || c == '\\') out_ += '\\';
      if (static_cast<unsigned char>(c) < 0x20) {
        char escaped[8];
        std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
        out_ += escaped;
      } else {
        out_ += c;
      }
    }
    out_ += '"';
    return *this;
  }
  JsonText& raw(const char* name, std::string_view json) {
    key(name);
    out_ += json;
    return *this;
  }
  JsonText& num(const char* name, double value) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    return raw(name, ec == std::errc() ? std::string_view(buf, end - buf) : "0");
  }
  JsonText& open() {
    out_ += '{';
    first_ = true;
    return *this;
  }
  std::string close() {
    out_ += '}';
    first_ = false;
    return std::move(out_);
  }

 private:
  std::string out_;
  bool first_ = true;
};

// What a task event says of its status: what a dashboard shows. The whole status (labels,
// sandbox, ...) is a read away.
std::string statusText(const TaskStatus& s) {
  JsonText j;
  j.open().str("state", stateName(s.state)).str("message", s.message).num("timestamp", s.timestamp);
  if (s.reason != TaskReason::NONE) j.str("reason", reasonName(s.reason));
  if (s.exitCode) j.num("exit_code", *s.exitCode);
  if (s.healthy) j.raw("healthy", *s.healthy ? "true" : "false");
  if (!s.agentHttpAddress.empty()) j.str("agent_http_address", s.agentHttpAddress);
  return j.close();
}

}  // namespace

EventFeed Master::makeEventFeed(size_t capacity) { return EventFeed(capacity, lostEvent); }

void Master::publish(const std::string& type, json data) {
  data["type"] = type;
  events_.publish(events_.nextId(), type, text(data));
}

void Master::setTaskStatus(TaskRecord& task, TaskStatus status) {
  bool changed = status.state != task.latest.state || status.healthy != task.latest.healthy;
  task.latest = std::move(status);
  if (!changed) return;
  JsonText j;
  j.open()
      .str("type", "TASK_UPDATED")
      .str("framework_id", task.frameworkId)
      .str("task_id", task.info.taskId)
      .str("agent_id", task.info.agentId)
      .str("state", stateName(task.latest.state))
      .raw("status", statusText(task.latest));
  events_.publish(events_.nextId(), "TASK_UPDATED", j.close());
}

void Master::taskAdded(const TaskRecord& task) {
  JsonText resources;
  resources.open();
  for (const std::string& name : {std::string("cpus"), std::string("mem"), std::string("disk")})
    if (double v = task.info.resources.scalar(name); v > 0) resources.num(name.c_str(), v);
  JsonText t;
  t.open()
      .str("id", task.info.taskId)
      .str("name", task.info.name)
      .str("framework_id", task.frameworkId)
      .str("agent_id", task.info.agentId)
      .raw("resources", resources.close())
      .str("command", task.info.command.value)
      .str("state", stateName(task.latest.state))
      .raw("status", statusText(task.latest));
  JsonText j;
  j.open().str("type", "TASK_ADDED").raw("task", t.close());
  events_.publish(events_.nextId(), "TASK_ADDED", j.close());
}

json Master::agentJsonNow(const AgentRecord& agent) const {
  Resources used, offered;
  const std::set<TaskKey>& tasks = tasks_.ofAgent(agent.info.id);
  for (const TaskKey& key : tasks)
    if (const TaskRecord* t = tasks_.find(key); !isTerminal(t->latest.state)) used += t->info.resources;
  for (const std::string& offerId : offers_.ofAgent(agent.info.id)) offered += offers_.find(offerId)->resources;
  return agentJson(agent, used, offered, tasks.size());
}

void Master::agentEvent(const std::string& type, const AgentRecord& agent) {
  if (type == "AGENT_ADDED" || type == "AGENT_UPDATED") return publish(type, json{{"agent", agentJsonNow(agent)}});
  publish(type, json{{"agent_id", agent.info.id}});
}

json Master::frameworkJson(const FrameworkRecord& fw, const Resources& used, const Resources& offered,
                           size_t taskCount, size_t offerCount) {
  json j = toJson(fw.info);
  j["connected"] = fw.connected;
  j["recovered"] = fw.recovered;
  j["registered_at"] = fw.registeredAt;
  j["used_resources"] = used.toJson();
  j["offered_resources"] = offered.toJson();
  j["task_count"] = taskCount;
  j["offer_count"] = offerCount;
  j["transport"] = fw.connection ? fw.connection->transport() : "";
  return j;
}

json Master::frameworkJsonNow(const FrameworkRecord& fw) const {
  Resources used, offered;
  const std::set<TaskKey>& tasks = tasks_.ofFramework(fw.info.id);
  for (const TaskKey& key : tasks)
    if (const TaskRecord* t = tasks_.find(key); !isTerminal(t->latest.state)) used += t->info.resources;
  const std::set<std::string>& offers = offers_.ofFramework(fw.info.id);
  for (const std::string& offerId : offers) offered += offers_.find(offerId)->resources;
  return frameworkJson(fw, used, offered, tasks.size(), offers.size());
}

void Master::frameworkEvent(const std::string& type, const FrameworkRecord& fw) {
  if (type == "FRAMEWORK_REMOVED") return publish(type, json{{"framework_id", fw.info.id}});
  publish(type, json{{"framework", frameworkJsonNow(fw)}});
}

ApiReply Master::frameworksReply() const {
  json out = json::array();
  for (const auto& [id, fw] : frameworks_) out.push_back(frameworkJsonNow(fw));
  return jsonReply(200, json{{"frameworks", out}});
}

// ?type=TASK_UPDATED,AGENT_ADDED; Last-Event-ID (header) or ?last_event_id= resumes.
ApiReply Master::eventsReply(const ApiCall& call) {
  std::optional<uint64_t> last;
  std::string given = call.headers.count("last-event-id") ? call.headers.at("last-event-id") : "";
  if (auto q = call.query.find("last_event_id"); q != call.query.end()) given = q->second;
  if (!given.empty()) {
    uint64_t id = 0;
    auto [end, ec] = std::from_chars(given.data(), given.data() + given.size(), id);
    if (ec != std::errc() || end != given.data() + given.size())
      return errorReply(400, "Last-Event-ID must be an event id (a non-negative integer), not '" + given + "'");
    last = id;
  }
  std::set<std::string> types;
  if (auto t = call.query.find("type"); t != call.query.end()) {
    static const std::set<std::string> known = {
        "AGENT_ADDED",     "AGENT_UPDATED",     "AGENT_UNREACHABLE", "AGENT_REMOVED", "FRAMEWORK_ADDED",
        "FRAMEWORK_UPDATED", "FRAMEWORK_REMOVED", "TASK_ADDED",       "TASK_UPDATED",  "UTILIZATION"};
    for (const std::string& type : splitText(t->second, ',')) {
      if (!known.count(type)) {
        std::string all;
        for (const std::string& k : known) all += (all.empty() ? "" : ", ") + k;
        return errorReply(400, "no event type '" + type + "'; the types are " + all);
      }
      types.insert(type);
    }
  }
  ApiReply reply;
  reply.contentType = "text/event-stream";
  reply.headers["Cache-Control"] = "no-cache";
  reply.stream = events_.subscribe(last, std::move(types));
  // Proxies and browsers show a stream at once only once something has come.
  reply.stream->write(":ok\n\n");
  return reply;
}

// Sampled for the dashboard's chart while someone follows the stream; not kept.
void Master::utilizationTick() {
  loop_.after(options_.utilizationInterval, [this] { utilizationTick(); });
  if (events_.subscribers() == 0 || !acting()) return;
  events_.broadcast("UTILIZATION", text(utilizationJson()));
}

json Master::utilizationJson() const {
  Resources total, allocated, offered;
  size_t active = 0;
  for (const auto& [id, agent] : agents_) {
    if (agent.state != AgentState::kActive) continue;
    total += agent.info.resources;
    ++active;
  }
  size_t running = 0;
  for (const auto& [key, task] : tasks_.active()) {
    if (isTerminal(task.latest.state)) continue;
    allocated += task.info.resources;
    ++running;
  }
  for (const auto& [id, offer] : offers_.all()) offered += offer.resources;
  auto scalars = [](const Resources& r) {
    return json{{"cpus", r.scalar("cpus")}, {"mem", r.scalar("mem")}, {"disk", r.scalar("disk")}};
  };
  json sample = {{"type", "UTILIZATION"},         {"time", loop_.clock().wallSeconds()},
                 {"total", scalars(total)},       {"allocated", scalars(allocated)},
                 {"offered", scalars(offered)},   {"agents", active},
                 {"tasks", running},              {"frameworks", frameworks_.size()}};
  return sample;
}

// Why work may be waiting: what holds offers back from frameworks.
ApiReply Master::pendingReply() {
  json reasons = json::array();
  auto reason = [&](const char* kind, json fields, const std::string& message) {
    fields["kind"] = kind;
    fields["message"] = message;
    reasons.push_back(std::move(fields));
  };
  for (const RoleView& v : allocator_->roles()) {
    for (const std::string& fw : v.suppressedBy)
      reason("suppressed", {{"role", v.role}, {"framework_id", fw}},
             "framework " + fw + " suppressed its offers in role " + v.role + " (it waits for nothing, or forgot to revive)");
    for (const std::string& name : v.quota.limit.names()) {
      double limit = v.quota.limit.scalar(name);
      auto a = v.allocated.find(name);
      double allocated = a == v.allocated.end() ? 0 : a->second;
      if (allocated + 1e-9 >= limit)
        reason("quota_limit", {{"role", v.role}, {"resource", name}, {"allocated", allocated}, {"limit", limit}},
               "role " + v.role + " is at its quota limit of " + json(limit).dump() + " " + name +
                   ": it is offered no more until its tasks end or the limit is raised");
    }
  }
  for (const auto& [id, fw] : frameworks_) {
    if (!fw.connected) {
      reason("disconnected", {{"framework_id", id}},
             "framework " + id + " ('" + fw.info.name + "') is disconnected: it is offered nothing until it subscribes again");
      continue;
    }
    if (size_t n = allocator_->filteredAgents(id))
      reason("filtered", {{"framework_id", id}, {"agents", n}},
             "framework " + id + " ('" + fw.info.name + "') declined offers of " + std::to_string(n) +
                 " agents with a filter: it is not offered those until the filter's refuse_seconds pass");
  }
  for (const auto& [id, agent] : agents_) {
    if (agent.drainDeadline)
      reason("draining", {{"agent_id", id}}, "agent " + id + " (" + agent.info.hostname + ") is draining: it is offered to nobody");
    else if (agent.state == AgentState::kUnreachable)
      reason("unreachable", {{"agent_id", id}}, "agent " + id + " (" + agent.info.hostname + ") is unreachable");
  }
  return jsonReply(200, json{{"reasons", reasons}});
}

}  // namespace agora
