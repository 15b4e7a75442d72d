// /v2/deployments, /v2/tasks, /v2/queue, /v2/events, /v2/info and /metrics.
#include <set>
#include <sstream>

#include "frameworks/marathon-like/api.hpp"
#include "frameworks/marathon-like/app_json.hpp"
#include "frameworks/marathon-like/path_id.hpp"
#include "frameworks/marathon-like/task_json.hpp"

namespace agora::marathon {

using nlohmann::json;

ApiReply MarathonApi::deployments(const ApiCall& call, const std::string& id) {
  if (call.method == "GET" && id.empty()) {
    json list = json::array();
    for (const auto& [key, d] : service_.deployments()) list.push_back(deploymentToJson(d));
    return jsonReply(200, list);
  }
  if (call.method == "GET") {
    auto it = service_.deployments().find(id);
    if (it == service_.deployments().end()) return messageReply(404, "DeploymentPlan " + id + " does not exist");
    return jsonReply(200, deploymentToJson(it->second));
  }
  if (call.method == "DELETE" && !id.empty()) return changed(service_.rollback(id, flag(call, "force")));
  return messageReply(405, call.method + " is not allowed on /v2/deployments");
}

ApiReply MarathonApi::tasks(const ApiCall& call) {
  std::set<std::string> states;
  for (const char* key : {"status", "status[]"})
    if (call.query.count(key)) {
      std::stringstream list(call.query.at(key));
      for (std::string s; std::getline(list, s, ',');) states.insert(s);
    }
  auto wanted = [&](const Instance& i) {
    if (states.empty()) return true;
    return (states.count("running") && i.state == TaskState::RUNNING) ||
           (states.count("staging") && (i.state == TaskState::STAGING || i.state == TaskState::STARTING));
  };
  auto accept = call.headers.find("accept");
  bool text = accept != call.headers.end() && accept->second.find("text/plain") != std::string::npos &&
              accept->second.find("application/json") == std::string::npos;
  json list = json::array();
  std::string lines;
  for (const auto& [appId, app] : service_.apps()) {
    // Marathon's text form: a line per app and port: the app, the port, then host:port of
    // every task (a line with the hosts alone for an app without ports).
    std::vector<std::string> perPort(app.portDefinitions.size());
    std::string hosts;
    for (const Instance* i : service_.instancesOf(appId)) {
      if (!i->live() || !wanted(*i)) continue;
      list.push_back(taskJson(*i, !app.healthChecks.empty()));
      for (size_t p = 0; p < i->ports.size() && p < perPort.size(); ++p)
        perPort[p] += i->host + ":" + std::to_string(i->ports[p]) + "\t";
      hosts += i->host + "\t";
    }
    for (size_t p = 0; p < perPort.size(); ++p)
      if (!perPort[p].empty())
        lines += safeName(appId) + "\t" + std::to_string(app.portDefinitions[p].port) + "\t" + perPort[p] + "\n";
    if (perPort.empty() && !hosts.empty()) lines += safeName(appId) + "\t \t" + hosts + "\n";
  }
  if (text) return ApiReply{200, lines, "text/plain"};
  return jsonReply(200, {{"tasks", list}});
}

ApiReply MarathonApi::deleteTasks(const ApiCall& call) {
  Try<json> body = parseBody(call);
  if (body.isError()) return invalidJson(body.error());
  if (!body->is_object() || !body->contains("ids") || !(*body)["ids"].is_array())
    return jsonReply(422, violationsBody({{"/ids", "error.path.missing"}}));
  bool scale = flag(call, "scale");
  if (scale && flag(call, "wipe")) return messageReply(400, "You cannot use scale and wipe at the same time.");
  std::vector<std::string> ids;
  std::set<std::string> seen;
  json killed = json::array();
  for (const json& id : (*body)["ids"]) {
    if (!id.is_string()) return messageReply(400, "Invalid task id '" + id.dump() + "'.");
    if (!seen.insert(id.get<std::string>()).second) continue;
    const Instance* i = service_.instanceByTask(id);
    if (!i) {
      if (std::string(id).find(".instance-") == std::string::npos)
        return messageReply(400, "Invalid task id '" + std::string(id) + "'. [taskId " + std::string(id) + " no valid identifier]");
      continue;
    }
    ids.push_back(id);
    const AppDefinition* a = service_.app(i->appId);
    killed.push_back(taskJson(*i, a && !a->healthChecks.empty()));
  }
  ChangeResult result = service_.killTasks(ids, scale, flag(call, "wipe"), flag(call, "force"));
  if (scale) return changed(result);
  return changed(result, 200, json{{"tasks", killed}});
}

ApiReply MarathonApi::queue(const ApiCall& call, const std::string& rest) {
  if (rest.empty() || rest == "/") {
    if (call.method != "GET") return messageReply(405, call.method + " is not allowed on /v2/queue");
    return jsonReply(200, service_.queueJson());
  }
  const std::string suffix = "/delay";
  if (call.method != "DELETE" || rest.size() <= suffix.size() || rest.compare(rest.size() - suffix.size(), suffix.size(), suffix) != 0)
    return messageReply(404, "The requested resource " + call.method + " /v2/queue" + rest + " does not exist");
  Try<std::string> id = resolvePath(rest.substr(0, rest.size() - suffix.size()));
  if (id.isError() || !service_.resetDelay(*id))
    return messageReply(404, "Application " + (id.ok() ? *id : rest) + " not found in tasks queue.");
  return ApiReply{204, "", "application/json"};
}

ApiReply MarathonApi::events(const ApiCall& call) {
  std::set<std::string> types;
  if (call.query.count("event_type")) {
    std::stringstream list(call.query.at("event_type"));
    for (std::string t; std::getline(list, t, ',');) types.insert(t);
  }
  std::optional<uint64_t> last;
  if (auto h = call.headers.find("last-event-id"); h != call.headers.end()) {
    try {
      last = std::stoull(h->second);
    } catch (const std::exception&) {
      return messageReply(400, "Last-Event-ID '" + h->second + "' is not an event id (a number from an earlier event's id: field)");
    }
  }
  std::string remote = call.headers.count("x-forwarded-for") ? call.headers.at("x-forwarded-for") : "127.0.0.1";
  service_.publish("event_stream_attached", {{"remoteAddress", remote}});
  ApiReply reply;
  reply.contentType = "text/event-stream";
  reply.stream = service_.events().subscribe(last, types);
  return reply;
}

ApiReply MarathonApi::info() const {
  return jsonReply(200, {{"name", "agora-marathon"},
                         {"version", "1.11.0-agora"},
                         {"buildref", "agora"},
                         {"elected", true},
                         {"leader", options_.httpAddress},
                         {"frameworkId", service_.frameworkId()},
                         {"marathon_config",
                          {{"master", options_.master},
                           {"mesos_role", service_.options().role},
                           {"deployment_progress_deadline_seconds", service_.options().deploymentProgressDeadlineSeconds},
                           {"decline_offer_duration", service_.options().declineSeconds * 1000},
                           {"max_instances_per_offer", service_.options().maxInstancesPerOffer},
                           {"launch_rate_per_second", service_.options().maxLaunchesPerSecond}}},
                         {"http_config", {{"http_port", std::stoi(options_.httpAddress.substr(options_.httpAddress.rfind(':') + 1))}}},
                         {"connected_to_master", service_.connected()}});
}

ApiReply MarathonApi::metrics() const {
  std::ostringstream out;
  auto gauge = [&](const std::string& name, double value, const std::string& help) {
    out << "# HELP agora_marathon_" << name << " " << help << "\n# TYPE agora_marathon_" << name << " gauge\n"
        << "agora_marathon_" << name << " " << value << "\n";
  };
  size_t instances = 0, running = 0, healthy = 0;
  for (const auto& [appId, app] : service_.apps())
    for (const Instance* i : service_.instancesOf(appId)) {
      if (!i->live()) continue;
      ++instances;
      running += i->running();
      healthy += i->healthyFor(!app.healthChecks.empty(), !app.readinessChecks.empty());
    }
  size_t waiting = 0;
  for (const auto& [id, n] : service_.wanted()) waiting += n;
  gauge("apps", service_.apps().size(), "Apps defined.");
  gauge("instances", instances, "Instances launched and not ended.");
  gauge("instances_running", running, "Instances whose task is TASK_RUNNING.");
  gauge("instances_healthy", healthy, "Instances running and passing their checks.");
  gauge("instances_waiting", waiting, "Instances waiting for an offer.");
  gauge("deployments", service_.deployments().size(), "Deployments in progress or failed and not rolled back.");
  gauge("event_stream_subscribers", service_.events().subscribers(), "Clients of /v2/events.");
  gauge("last_event_id", service_.events().lastId(), "The id of the latest event.");
  gauge("connected", service_.connected(), "1 while subscribed to the master.");
  for (const auto& [name, value] : service_.counters()) {
    out << "# TYPE agora_marathon_" << name << "_total counter\nagora_marathon_" << name << "_total " << value << "\n";
  }
  return ApiReply{200, out.str(), "text/plain; version=0.0.4"};
}

}  // namespace agora::marathon
