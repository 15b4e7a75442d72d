#include "frameworks/marathon-like/api.hpp"

#include <glog/logging.h>

#include "common/webui.hpp"

namespace agora::marathon {

using nlohmann::json;

ApiReply messageReply(int status, const std::string& message) { return jsonReply(status, {{"message", message}}); }

Try<json> parseBody(const ApiCall& call) {
  if (call.body.empty()) return Error("No content to map due to end-of-input: send the definition as JSON");
  try {
    return json::parse(call.body);
  } catch (const json::parse_error& e) {
    return Error(e.what());
  }
}

ApiReply invalidJson(const std::string& details) { return jsonReply(400, {{"message", "Invalid JSON"}, {"details", details}}); }

std::set<std::string> embedsOf(const ApiCall& call) {
  std::set<std::string> out;
  auto it = call.query.find("embed");
  if (it == call.query.end()) return out;
  size_t start = 0;
  const std::string& v = it->second;
  while (start <= v.size()) {
    size_t comma = v.find(',', start);
    if (comma == std::string::npos) comma = v.size();
    std::string e = v.substr(start, comma - start);
    for (const char* prefix : {"apps.", "app.", "group.", "groups."})
      if (e.rfind(prefix, 0) == 0) e = e.substr(std::string(prefix).size());
    if (!e.empty()) out.insert(e);
    start = comma + 1;
  }
  return out;
}

bool flag(const ApiCall& call, const std::string& name) {
  auto it = call.query.find(name);
  if (it == call.query.end()) return false;
  std::string value = it->second.substr(0, it->second.find(','));  // given twice: the first counts
  return value == "true" || value == "1" || value.empty();
}

ApiReply MarathonApi::handle(const ApiCall& call) {
  ApiReply reply;
  try {
    reply = route(call);
  } catch (const std::exception& e) {
    LOG(ERROR) << call.method << " " << call.path << " failed: " << e.what();
    reply = messageReply(500, std::string("the request failed: ") + e.what());
  }
  // A read changes nothing; a change (or an event a read published) is committed, and its
  // pending reply given, by the next settle.
  if (call.method != "GET" || service_.hasPendingWork()) service_.requestSettle();
  return reply;
}

ApiReply MarathonApi::changed(const ChangeResult& result, int status, std::optional<json> body, std::string location) {
  if (result.status != 200 && result.status != 202) return jsonReply(result.status, result.body);
  auto pending = std::make_shared<PendingReply>();
  json answer = body ? *body : json{{"deploymentId", result.deploymentId}, {"version", result.version}};
  if (result.status == 202 && !body) answer = json::object();
  int code = result.status == 202 ? 202 : status;
  service_.then([pending, answer, code, id = result.deploymentId, location] {
    ApiReply r = jsonReply(code, answer);
    if (!id.empty()) r.headers["Marathon-Deployment-Id"] = id;
    if (!location.empty()) r.headers["Location"] = location;
    pending->give(std::move(r));
  });
  return ApiReply::later(pending);
}

void MarathonApi::postEvent(const ApiCall& call, const json& definition) {
  service_.publish("api_post_event", {{"clientIp", call.headers.count("x-forwarded-for") ? call.headers.at("x-forwarded-for") : "127.0.0.1"},
                                      {"uri", call.path}, {"appDefinition", definition}});
}

namespace {

bool startsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

ApiReply MarathonApi::route(const ApiCall& call) {
  const std::string& p = call.path;
  if (p == "/ping") return ApiReply{200, "pong", "text/plain"};
  if (auto page = webui::serve(call, "marathon.html")) return *page;
  if (p == "/v2/apps" || startsWith(p, "/v2/apps/")) return apps(call, p.substr(8));
  if (p == "/v2/groups" || startsWith(p, "/v2/groups/")) return groups(call, p.size() > 10 ? p.substr(10) : "/");
  if (p == "/v2/deployments" || startsWith(p, "/v2/deployments/"))
    return deployments(call, p.size() > 16 ? p.substr(16) : "");
  if (p == "/v2/tasks" && call.method == "GET") return tasks(call);
  if (p == "/v2/tasks/delete" && call.method == "POST") return deleteTasks(call);
  if (p == "/v2/queue" || startsWith(p, "/v2/queue/")) return queue(call, p.substr(9));
  if (p == "/v2/events" && call.method == "GET") return events(call);
  if (p == "/v2/info" && call.method == "GET") return info();
  if (p == "/v2/leader" && call.method == "GET")
    return jsonReply(200, {{"leader", options_.httpAddress}});
  if (p == "/metrics" && call.method == "GET") return metrics();
  if (p == "/v2/leader" && call.method == "DELETE") {
    if (!options_.abdicate)
      return messageReply(400, "agora-marathon runs as one instance (no --etcd); there is no leadership to abdicate");
    options_.abdicate();
    return messageReply(200, "Leadership abdicated");
  }
  return messageReply(404, "The requested resource " + call.method + " " + p + " does not exist");
}

}  // namespace agora::marathon
