#include "master/scheduler_json.hpp"

#include <cmath>
#include <stdexcept>

#include "common/base64.hpp"
#include "common/codec.hpp"

namespace agora::v1 {

using nlohmann::json;

namespace {

// A call the decoder refuses; what() names the field.
struct Refused : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A field of the call, with its path for the error that names it.
class Field {
 public:
  Field(const json& j, std::string path) : j_(j), path_(std::move(path)) {}

  bool has(const char* key) const { return j_.is_object() && j_.contains(key) && !j_[key].is_null(); }
  Field at(const char* key) const {
    if (!j_.is_object()) bad("expected an object");
    if (!has(key)) Field(j_, sub(key)).bad("missing");
    return Field(j_[key], sub(key));
  }
  std::string str() const {
    if (!j_.is_string()) bad("expected a string");
    return j_.get<std::string>();
  }
  double num() const {
    if (!j_.is_number() || !std::isfinite(j_.get<double>())) bad("expected a number");
    return j_.get<double>();
  }
  uint64_t u64() const {
    if (!j_.is_number_unsigned()) bad("expected a non-negative integer");
    return j_.get<uint64_t>();
  }
  bool boolean() const {
    if (!j_.is_boolean()) bad("expected true or false");
    return j_.get<bool>();
  }
  std::vector<Field> list(size_t max) const {
    if (!j_.is_array()) bad("expected an array");
    if (j_.size() > max) bad(std::to_string(j_.size()) + " entries; at most " + std::to_string(max));
    std::vector<Field> out;
    for (size_t i = 0; i < j_.size(); ++i) out.emplace_back(j_[i], path_ + "[" + std::to_string(i) + "]");
    return out;
  }
  // Mesos' id messages: {"value": "..."}.
  std::string id(const char* key) const { return at(key).at("value").str(); }
  std::string strOr(const char* key, std::string fallback) const { return has(key) ? at(key).str() : fallback; }
  // A Mesos DurationInfo: {"nanoseconds": N}.
  double seconds(const char* key) const { return at(key).at("nanoseconds").num() / 1e9; }
  [[noreturn]] void bad(const std::string& what) const { throw Refused(path_ + ": " + what); }

 private:
  std::string sub(const char* key) const { return path_.empty() ? key : path_ + "." + key; }
  const json& j_;
  std::string path_;
};

Resource resource(const Field& f) {
  std::string name = f.at("name").str();
  std::string type = f.strOr("type", "SCALAR");
  std::string role = f.strOr("role", "*");
  if (f.has("reservations")) {
    std::vector<Field> reservations = f.at("reservations").list(16);
    if (!reservations.empty()) role = reservations.back().at("role").str();
  }
  if (type == "SCALAR") return Resource::scalar(name, f.at("scalar").at("value").num(), role);
  if (type == "RANGES") {
    Ranges ranges;
    for (const Field& r : f.at("ranges").at("range").list(codec::kMaxRanges))
      ranges.push_back({r.at("begin").u64(), r.at("end").u64()});
    return Resource::range(name, ranges, role);
  }
  if (type == "SET") {
    std::set<std::string> items;
    for (const Field& item : f.at("set").at("item").list(codec::kMaxRanges)) items.insert(item.str());
    return Resource::stringSet(name, items, role);
  }
  f.at("type").bad("expected SCALAR, RANGES or SET, not '" + type + "'");
}

Resources resources(const Field& f) {
  std::vector<Resource> list;
  for (const Field& r : f.list(codec::kMaxResources)) list.push_back(resource(r));
  Try<Resources> sum = Resources::fromList(std::move(list));
  if (sum.isError()) f.bad(sum.error());
  return *sum;
}

CommandInfo command(const Field& f) {
  CommandInfo out;
  out.shell = f.has("shell") ? f.at("shell").boolean() : true;
  out.value = f.strOr("value", "");
  if (f.has("arguments"))
    for (const Field& a : f.at("arguments").list(codec::kMaxLabels)) out.arguments.push_back(a.str());
  if (f.has("environment"))
    for (const Field& v : f.at("environment").at("variables").list(codec::kMaxLabels))
      out.environment[v.at("name").str()] = v.strOr("value", "");
  if (out.shell && out.value.empty()) f.at("value").bad("missing (a shell command needs its command line)");
  return out;
}

HealthCheck healthCheck(const Field& f) {
  HealthCheck out;
  std::string type = f.at("type").str();
  if (type == "COMMAND") {
    out.kind = CheckKind::COMMAND;
    out.command = command(f.at("command"));
  } else if (type == "HTTP" || type == "TCP") {
    out.kind = type == "HTTP" ? CheckKind::HTTP : CheckKind::TCP;
    Field spec = f.at(type == "HTTP" ? "http" : "tcp");
    out.port.number = spec.at("port").u64();
    if (type == "HTTP") out.path = spec.strOr("path", "/");
  } else {
    f.at("type").bad("expected COMMAND, HTTP or TCP, not '" + type + "'");
  }
  if (f.has("delay_seconds")) out.delaySeconds = f.at("delay_seconds").num();
  if (f.has("interval_seconds")) out.intervalSeconds = f.at("interval_seconds").num();
  if (f.has("timeout_seconds")) out.timeoutSeconds = f.at("timeout_seconds").num();
  if (f.has("grace_period_seconds")) out.gracePeriodSeconds = f.at("grace_period_seconds").num();
  if (f.has("consecutive_failures")) out.maxConsecutiveFailures = static_cast<uint32_t>(f.at("consecutive_failures").u64());
  return out;
}

TaskInfo task(const Field& f) {
  TaskInfo out;
  out.taskId = f.id("task_id");
  out.name = f.at("name").str();
  out.agentId = f.id("agent_id");
  out.resources = resources(f.at("resources"));
  if (f.has("executor") || f.has("container"))
    f.at(f.has("executor") ? "executor" : "container").bad("not supported: Agora runs a task's command itself");
  out.command = command(f.at("command"));
  if (f.at("command").has("user")) out.user = f.at("command").at("user").str();
  if (f.has("labels"))
    for (const Field& l : f.at("labels").at("labels").list(codec::kMaxLabels)) out.labels[l.at("key").str()] = l.strOr("value", "");
  if (f.has("kill_policy") && f.at("kill_policy").has("grace_period"))
    out.killGracePeriodSeconds = f.at("kill_policy").seconds("grace_period");
  if (f.has("max_completion_time")) out.maxCompletionTimeSeconds = f.seconds("max_completion_time");
  if (f.has("health_check")) out.healthCheck = healthCheck(f.at("health_check"));
  return out;
}

std::vector<std::string> ids(const Field& f, size_t max) {
  std::vector<std::string> out;
  for (const Field& id : f.list(max)) out.push_back(id.at("value").str());
  return out;
}

double refuseSeconds(const Field& call) {
  if (!call.has("filters") || !call.at("filters").has("refuse_seconds")) return 0;
  double s = call.at("filters").at("refuse_seconds").num();
  return s > 0 ? s : 0;
}

calls::Accept accept(const Field& f) {
  calls::Accept out;
  out.offerIds = ids(f.at("offer_ids"), codec::kMaxOfferIds);
  out.refuseSeconds = refuseSeconds(f);
  size_t tasks = 0;
  if (!f.has("operations")) return out;
  for (const Field& op : f.at("operations").list(codec::kMaxOperations)) {
    std::string type = op.at("type").str();
    calls::AcceptStep step;
    if (type == "LAUNCH") {
      std::vector<Field> infos = op.at("launch").at("task_infos").list(codec::kMaxTasksPerCall);
      tasks += infos.size();
      if (tasks > codec::kMaxTasksPerCall) op.bad("more than " + std::to_string(codec::kMaxTasksPerCall) + " tasks in one accept");
      for (const Field& t : infos) step.launch.push_back(task(t));
    } else if (type == "RESERVE" || type == "UNRESERVE") {
      Resources r = resources(op.at(type == "RESERVE" ? "reserve" : "unreserve").at("resources"));
      (type == "RESERVE" ? step.reserve : step.unreserve) = Try<Resources>(r);
    } else {
      op.at("type").bad("'" + type + "' is not supported; Agora accepts LAUNCH, RESERVE and UNRESERVE");
    }
    out.steps.push_back(std::move(step));
  }
  return out;
}

FrameworkInfo frameworkInfo(const Field& f) {
  FrameworkInfo out;
  out.name = f.at("name").str();
  if (f.has("id")) out.id = f.id("id");
  if (f.has("roles")) {
    out.roles.clear();
    for (const Field& r : f.at("roles").list(64)) out.roles.push_back(r.str());
  } else if (f.has("role")) {
    out.roles = {f.at("role").str()};
  }
  if (f.has("failover_timeout")) out.failoverTimeoutSeconds = f.at("failover_timeout").num();
  if (f.has("capabilities"))
    for (const Field& c : f.at("capabilities").list(64)) out.capabilities.push_back(c.at("type").str());
  out.hostname = f.strOr("hostname", "");
  out.principal = f.strOr("principal", "");
  out.webuiUrl = f.strOr("webui_url", "");
  return out;
}

std::vector<std::string> roles(const Field& call, const char* key) {
  std::vector<std::string> out;
  if (call.has(key) && call.at(key).has("roles"))
    for (const Field& r : call.at(key).at("roles").list(codec::kMaxLabels)) out.push_back(r.str());
  return out;
}

calls::Call decode(const std::string& type, const Field& f) {
  if (type == "ACCEPT") return accept(f.at("accept"));
  if (type == "DECLINE") return calls::Decline{ids(f.at("decline").at("offer_ids"), codec::kMaxOfferIds), refuseSeconds(f.at("decline"))};
  if (type == "KILL") {
    Field kill = f.at("kill");
    calls::Kill out{kill.id("task_id"), std::nullopt};
    if (kill.has("kill_policy") && kill.at("kill_policy").has("grace_period"))
      out.gracePeriodSeconds = kill.at("kill_policy").seconds("grace_period");
    return out;
  }
  if (type == "RECONCILE") {
    calls::Reconcile out;
    if (f.has("reconcile") && f.at("reconcile").has("tasks"))
      for (const Field& t : f.at("reconcile").at("tasks").list(codec::kMaxTasksPerCall))
        out.tasks.push_back({t.id("task_id"), t.has("agent_id") ? t.id("agent_id") : ""});
    return out;
  }
  if (type == "ACKNOWLEDGE") {
    Field ack = f.at("acknowledge");
    Try<std::string> uuid = base64Decode(ack.at("uuid").str());
    if (uuid.isError()) ack.at("uuid").bad("not base64: " + uuid.error());
    return calls::Acknowledge{ack.id("agent_id"), ack.id("task_id"), *uuid};
  }
  if (type == "SUPPRESS") return calls::Suppress{roles(f, "suppress")};
  if (type == "REVIVE") return calls::Revive{roles(f, "revive")};
  if (type == "TEARDOWN") return calls::Teardown{};
  f.at("type").bad("'" + type + "' is not a call of this API; the calls are SUBSCRIBE, ACCEPT, DECLINE, KILL, "
                   "RECONCILE, ACKNOWLEDGE, SUPPRESS, REVIVE and TEARDOWN");
}

json id(const std::string& value) { return json{{"value", value}}; }

// Mesos' name for the reason, where it has one: a strict client refuses an enum value it does
// not know. The others go unsaid; the status' message says what happened.
std::optional<std::string> mesosReason(TaskReason r) {
  switch (r) {
    case TaskReason::LAUNCH_FAILED:
    case TaskReason::INVALID_USER: return "REASON_CONTAINER_LAUNCH_FAILED";
    case TaskReason::MEMORY_LIMIT: return "REASON_CONTAINER_LIMITATION_MEMORY";
    case TaskReason::AGENT_UNREACHABLE: return "REASON_AGENT_DISCONNECTED";
    case TaskReason::INVALID_TASK: return "REASON_TASK_INVALID";
    case TaskReason::READINESS_CHECK_STATUS_UPDATED: return "REASON_TASK_CHECK_STATUS_UPDATED";
    case TaskReason::AGENT_REMOVED:
    case TaskReason::AGENT_RESTARTED:
    case TaskReason::EXECUTOR_TERMINATED:
    case TaskReason::RECONCILIATION:
    case TaskReason::INVALID_OFFERS:
    case TaskReason::FRAMEWORK_REMOVED:
    case TaskReason::AGENT_UNKNOWN:
    case TaskReason::TASK_UNKNOWN:
    case TaskReason::MAX_COMPLETION_TIME_REACHED:
    case TaskReason::HEALTH_CHECK_STATUS_UPDATED:
    case TaskReason::TASK_UNAUTHORIZED:
    case TaskReason::MASTER_DISCONNECTED: return std::string(reasonName(r));
    default: return std::nullopt;
  }
}

}  // namespace

Try<HttpCall> decodeCall(const std::string& body) {
  json parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded()) return Error("the body is not JSON: send a Mesos v1 scheduler Call as application/json");
  try {
    Field root(parsed, "");
    if (!parsed.is_object()) root.bad("expected a JSON object (a Call)");
    HttpCall out;
    out.type = root.at("type").str();
    if (root.has("framework_id")) out.frameworkId = root.id("framework_id");
    if (out.type == "SUBSCRIBE") {
      out.subscribe = frameworkInfo(root.at("subscribe").at("framework_info"));
      if (!out.frameworkId.empty() && out.subscribe.id.empty()) out.subscribe.id = out.frameworkId;
      return out;
    }
    if (out.frameworkId.empty()) root.at("framework_id").bad("missing");
    out.call = decode(out.type, root);
    return out;
  } catch (const Refused& e) {
    return Error(e.what());
  }
}

std::string record(const json& event) {
  std::string text = event.dump(-1, ' ', false, json::error_handler_t::replace);
  return std::to_string(text.size()) + "\n" + text;
}

json resourcesJson(const Resources& resources) {
  json out = json::array();
  for (const Resource& r : resources.items()) {
    json j = {{"name", r.name}};
    if (r.type == Resource::Type::kScalar) {
      j["type"] = "SCALAR";
      j["scalar"] = {{"value", static_cast<double>(r.milli) / 1000.0}};
    } else if (r.type == Resource::Type::kRanges) {
      json ranges = json::array();
      for (const Range& range : r.ranges) ranges.push_back({{"begin", range.begin}, {"end", range.end}});
      j["type"] = "RANGES";
      j["ranges"] = {{"range", ranges}};
    } else {
      j["type"] = "SET";
      j["set"] = {{"item", r.items}};
    }
    if (r.role != "*") {
      j["role"] = r.role;
      j["reservations"] = json::array({{{"type", "DYNAMIC"}, {"role", r.role}}});
    }
    out.push_back(std::move(j));
  }
  return out;
}

json subscribedEvent(const std::string& frameworkId, const std::string& masterId, double heartbeatSeconds) {
  return {{"type", "SUBSCRIBED"},
          {"subscribed", {{"framework_id", id(frameworkId)},
                          {"heartbeat_interval_seconds", heartbeatSeconds},
                          {"master_info", {{"id", masterId}}}}}};
}

json offersEvent(const std::vector<Offer>& offers) {
  json list = json::array();
  for (const Offer& o : offers) {
    json attributes = json::array();
    for (const auto& [name, value] : o.attributes)
      attributes.push_back({{"name", name}, {"type", "TEXT"}, {"text", {{"value", value}}}});
    json resources = resourcesJson(o.resources);
    for (json& r : resources) r["allocation_info"] = {{"role", o.role}};
    list.push_back({{"id", id(o.id)},
                    {"framework_id", id(o.frameworkId)},
                    {"agent_id", id(o.agentId)},
                    {"hostname", o.hostname},
                    {"resources", resources},
                    {"attributes", attributes},
                    {"allocation_info", {{"role", o.role}}}});
  }
  return {{"type", "OFFERS"}, {"offers", {{"offers", list}}}};
}

json rescindEvent(const std::string& offerId) { return {{"type", "RESCIND"}, {"rescind", {{"offer_id", id(offerId)}}}}; }

json failureEvent(const std::string& agentId) { return {{"type", "FAILURE"}, {"failure", {{"agent_id", id(agentId)}}}}; }

json updateEvent(const TaskStatus& s) {
  json status = {{"task_id", id(s.taskId)},
                 {"state", stateName(s.state)},
                 {"source", s.fromMaster ? "SOURCE_MASTER" : "SOURCE_EXECUTOR"},
                 {"agent_id", id(s.agentId)},
                 {"timestamp", s.timestamp}};
  if (!s.message.empty()) status["message"] = s.message;
  if (std::optional<std::string> reason = mesosReason(s.reason)) status["reason"] = *reason;
  if (!s.uuid.empty()) status["uuid"] = base64Encode(s.uuid);
  if (s.healthy) status["healthy"] = *s.healthy;
  if (!s.labels.empty()) {
    json labels = json::array();
    for (const auto& [k, v] : s.labels) labels.push_back({{"key", k}, {"value", v}});
    status["labels"] = {{"labels", labels}};
  }
  return {{"type", "UPDATE"}, {"update", {{"status", status}}}};
}

json errorEvent(const std::string& message) { return {{"type", "ERROR"}, {"error", {{"message", message}}}}; }

json heartbeatEvent() { return {{"type", "HEARTBEAT"}}; }

}  // namespace agora::v1
