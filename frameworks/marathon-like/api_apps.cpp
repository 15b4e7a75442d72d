// /v2/apps: create, read, update, scale, restart and remove apps, and their tasks and versions.
#include <algorithm>

#include "frameworks/marathon-like/api.hpp"
#include "frameworks/marathon-like/app_json.hpp"
#include "frameworks/marathon-like/app_validation.hpp"
#include "frameworks/marathon-like/path_id.hpp"
#include "frameworks/marathon-like/task_json.hpp"

namespace agora::marathon {

using nlohmann::json;

namespace {

ApiReply notFound(const std::string& id) { return messageReply(404, "App '" + id + "' does not exist"); }

// "env==prod,tier!=db,canary": every term must hold.
bool labelsMatch(const std::map<std::string, std::string>& labels, const std::string& selector) {
  size_t start = 0;
  while (start < selector.size()) {
    size_t comma = selector.find(',', start);
    if (comma == std::string::npos) comma = selector.size();
    std::string term = selector.substr(start, comma - start);
    start = comma + 1;
    size_t ne = term.find("!="), eq = term.find("==");
    if (ne != std::string::npos) {
      auto it = labels.find(term.substr(0, ne));
      if (it != labels.end() && it->second == term.substr(ne + 2)) return false;
    } else if (eq != std::string::npos) {
      auto it = labels.find(term.substr(0, eq));
      if (it == labels.end() || it->second != term.substr(eq + 2)) return false;
    } else if (!labels.count(term)) {
      return false;
    }
  }
  return true;
}

// "/prod/db/tasks/x" -> id "/prod/db", task "x"; the last such marker wins.
struct AppPath {
  std::string id, sub, arg;
};
AppPath splitAppPath(const std::string& rest) {
  for (const char* marker : {"/tasks", "/versions", "/restart"}) {
    size_t at = rest.rfind(marker);
    while (at != std::string::npos) {
      size_t end = at + std::string(marker).size();
      if (end == rest.size() || rest[end] == '/') {
        std::string arg = end < rest.size() ? rest.substr(end + 1) : "";
        if (std::string(marker) != "/restart" || arg.empty()) return {rest.substr(0, at), marker + 1, arg};
      }
      if (at == 0) break;
      at = rest.rfind(marker, at - 1);
    }
  }
  return {rest, "", ""};
}

}  // namespace

// The fields Marathon adds to a definition: counts, deployments, and what `embed` asks for.
json MarathonApi::appStatus(const AppDefinition& app, const std::set<std::string>& embed) const {
  json j = json::object();
  uint32_t staged = 0, running = 0, healthy = 0, unhealthy = 0;
  json tasks = json::array();
  bool checked = !app.healthChecks.empty();
  bool withTasks = embed.count("tasks") > 0;
  service_.forEachInstance(app.id, [&](const Instance& i) {
    if (!i.live()) return;
    if (i.state == TaskState::STAGING || i.state == TaskState::STARTING) ++staged;
    if (i.running()) ++running;
    if (checked && i.running() && i.healthy == true) ++healthy;
    if (checked && i.running() && i.healthy == false) ++unhealthy;
    if (withTasks) tasks.push_back(taskJson(i, checked));
  });
  j["tasksStaged"] = staged;
  j["tasksRunning"] = running;
  j["tasksHealthy"] = healthy;
  j["tasksUnhealthy"] = unhealthy;
  json deployments = json::array();
  for (const auto& [id, d] : service_.deployments())
    if (!d.failed && std::count(d.affectedApps.begin(), d.affectedApps.end(), app.id)) deployments.push_back({{"id", id}});
  j["deployments"] = deployments;
  if (embed.count("tasks")) j["tasks"] = tasks;
  if (embed.count("lastTaskFailure"))
    if (const LastFailure* f = service_.lastFailure(app.id))
      j["lastTaskFailure"] = {{"appId", f->appId}, {"host", f->host}, {"message", f->message}, {"state", f->state},
                              {"taskId", f->taskId}, {"timestamp", f->timestamp}, {"version", f->version}};
  if (embed.count("readiness")) j["readinessCheckResults"] = json::array();
  return j;
}

json MarathonApi::appView(const AppDefinition& app, const std::set<std::string>& embed) const {
  json j = appToJson(app);
  j.update(appStatus(app, embed));
  return j;
}

std::string MarathonApi::appViewText(const AppDefinition& app, const std::set<std::string>& embed) const {
  auto& [version, text] = definitionText_[app.id];
  if (version != app.version || text.empty()) {
    version = app.version;
    text = appToJson(app).dump(-1, ' ', false, json::error_handler_t::replace);
    text.pop_back();  // the closing brace: the status fields follow
  }
  std::string status = appStatus(app, embed).dump(-1, ' ', false, json::error_handler_t::replace);
  return text + "," + status.substr(1);
}

ApiReply MarathonApi::apps(const ApiCall& call, const std::string& rest) {
  if (rest.empty() || rest == "/") {
    if (call.method == "GET") return listApps(call);
    if (call.method == "POST") return postApp(call);
    if (call.method == "PUT" || call.method == "PATCH") return putApps(call, call.method == "PATCH");
    return messageReply(405, call.method + " is not allowed on /v2/apps");
  }
  AppPath path = splitAppPath(rest);
  Try<std::string> id = resolvePath(path.id);
  if (id.isError()) return jsonReply(422, violationsBody({{"/id", id.error()}}));
  if (path.sub == "tasks") return appTasks(call, *id, path.arg);
  if (path.sub == "versions") return appVersions(call, *id, path.arg);
  if (path.sub == "restart") {
    if (call.method != "POST") return messageReply(405, "use POST to restart an app");
    return restartApp(call, *id);
  }
  if (call.method == "GET") {
    const AppDefinition* app = service_.app(*id);
    if (!app) return notFound(*id);
    std::set<std::string> embed = embedsOf(call);
    if (!call.query.count("embed")) embed = {"tasks", "counts", "deployments", "lastTaskFailure", "readiness"};
    return jsonReply(200, {{"app", appView(*app, embed)}});
  }
  if (call.method == "PUT" || call.method == "PATCH") return putApp(call, *id, call.method == "PATCH");
  if (call.method == "DELETE") return deleteApp(call, *id);
  return messageReply(405, call.method + " is not allowed on /v2/apps/{appId}");
}

ApiReply MarathonApi::listApps(const ApiCall& call) {
  std::set<std::string> embed = embedsOf(call);
  std::string idFilter = call.query.count("id") ? call.query.at("id") : "";
  std::string cmdFilter = call.query.count("cmd") ? call.query.at("cmd") : "";
  std::string label = call.query.count("label") ? call.query.at("label") : "";
  if (definitionText_.size() > service_.apps().size())
    std::erase_if(definitionText_, [&](const auto& entry) { return !service_.app(entry.first); });
  std::string body = "{\"apps\":[";
  bool first = true;
  for (const auto& [id, app] : service_.apps()) {
    if (!idFilter.empty() && id.find(idFilter) == std::string::npos) continue;
    if (!cmdFilter.empty() && app.cmd.value_or("").find(cmdFilter) == std::string::npos) continue;
    if (!label.empty() && !labelsMatch(app.labels, label)) continue;
    if (!first) body += ",";
    first = false;
    body += appViewText(app, embed);
  }
  body += "]}";
  return ApiReply{200, std::move(body), "application/json"};
}

ApiReply MarathonApi::postApp(const ApiCall& call) {
  Try<json> body = parseBody(call);
  if (body.isError()) return invalidJson(body.error());
  Violations v;
  Try<AppDefinition> app = readApp(*body, "/", service_.options().role, v);
  if (app.isError()) return jsonReply(422, violationsBody(v));
  if (service_.app(app->id)) return messageReply(409, "An app with id [" + app->id + "] already exists.");
  ChangeResult result = service_.change({{app->id, *app}}, flag(call, "force"), "create");
  if (result.status != 200) return jsonReply(result.status, result.body);
  postEvent(call, *body);
  json view = appView(*service_.app(app->id), {});
  view["deployments"] = json::array({{{"id", result.deploymentId}}});
  return changed(result, 201, view, "/v2/apps" + app->id);
}

ApiReply MarathonApi::putApp(const ApiCall& call, const std::string& id, bool patch) {
  Try<json> body = parseBody(call);
  if (body.isError()) return invalidJson(body.error());
  if (!body->is_object()) return jsonReply(422, violationsBody({{"", "error.expected.jsobject"}}));
  const AppDefinition* existing = service_.app(id);
  // {"version": V} alone rolls the app back to that stored version.
  bool onlyVersion = body->contains("version") && (body->size() == 1 || (body->size() == 2 && body->contains("id")));
  if (existing && onlyVersion) {
    if (!(*body)["version"].is_string()) return jsonReply(422, violationsBody({{"/version", "error.expected.jsstring"}}));
    std::string version = (*body)["version"];
    std::optional<AppDefinition> old = service_.appVersion(id, version);
    if (!old) return messageReply(404, "App '" + id + "' does not exist in version " + version);
    return changed(service_.change({{id, *old}}, flag(call, "force"), "rollback"));
  }
  json j = *body;
  bool partial = patch || !call.query.count("partialUpdate") || flag(call, "partialUpdate");
  if (existing && partial) j = mergePatch(appToJson(*existing), *body);
  if (j.contains("id") && j["id"].is_string()) {
    Try<std::string> bodyId = resolvePath(j["id"], parentOf(id));
    if (bodyId.ok() && *bodyId != id && body->contains("id"))
      return jsonReply(422, violationsBody({{"/id", "the id in the body (" + *bodyId + ") is not the one in the path (" + id + ")"}}));
  }
  j["id"] = id;
  if (patch && !existing) return notFound(id);
  Violations v;
  Try<AppDefinition> app = readApp(j, "/", service_.options().role, v);
  if (app.isError()) return jsonReply(422, violationsBody(v));
  ChangeResult result = service_.change({{id, *app}}, flag(call, "force"), existing ? "update" : "create");
  if (result.status == 200) postEvent(call, j);
  if (existing || result.status != 200) return changed(result);
  return changed(result, 201, std::nullopt, "/v2/apps" + id);  // created: Marathon's 201 with the deployment
}

ApiReply MarathonApi::putApps(const ApiCall& call, bool patch) {
  Try<json> body = parseBody(call);
  if (body.isError()) return invalidJson(body.error());
  if (!body->is_array()) return jsonReply(422, violationsBody({{"", "error.expected.jsarray"}}));
  AppChanges changes;
  Violations all;
  for (size_t k = 0; k < body->size(); ++k) {
    json j = (*body)[k];
    Violations v;
    std::string id;
    if (j.is_object() && j.contains("id") && j["id"].is_string()) {
      Try<std::string> resolved = resolvePath(j["id"]);
      if (resolved.ok()) id = *resolved;
    }
    const AppDefinition* existing = id.empty() ? nullptr : service_.app(id);
    if (existing && (patch || !call.query.count("partialUpdate") || flag(call, "partialUpdate")))
      j = mergePatch(appToJson(*existing), j);
    Try<AppDefinition> app = readApp(j, "/", service_.options().role, v);
    for (Violation& one : v) all.push_back({"/(" + std::to_string(k) + ")" + one.path, one.error});
    if (app.ok()) changes[app->id] = *app;
  }
  if (!all.empty()) return jsonReply(422, violationsBody(all));
  ChangeResult result = service_.change(changes, flag(call, "force"), "update");
  if (result.status == 200) postEvent(call, *body);
  return changed(result);
}

ApiReply MarathonApi::deleteApp(const ApiCall& call, const std::string& id) {
  if (!service_.app(id)) return notFound(id);
  bool force = !call.query.count("force") || flag(call, "force");  // Marathon's default here is true
  return changed(service_.change({{id, std::nullopt}}, force, "delete"));
}

ApiReply MarathonApi::restartApp(const ApiCall& call, const std::string& id) {
  const AppDefinition* app = service_.app(id);
  if (!app) return notFound(id);
  return changed(service_.change({{id, *app}}, flag(call, "force"), "restart"));
}

ApiReply MarathonApi::appTasks(const ApiCall& call, const std::string& id, const std::string& taskId) {
  const AppDefinition* app = service_.app(id);
  if (!app) return notFound(id);
  bool checked = !app->healthChecks.empty();
  std::vector<const Instance*> chosen;
  for (const Instance* i : service_.instancesOf(id)) {
    if (!i->live()) continue;
    if (!taskId.empty() && i->taskId != taskId) continue;
    if (call.query.count("host") && call.query.at("host") != "*" && i->host != call.query.at("host")) continue;
    chosen.push_back(i);
  }
  if (!taskId.empty() && chosen.empty()) return messageReply(404, "Task '" + taskId + "' does not exist");
  json list = json::array();
  for (const Instance* i : chosen) list.push_back(taskJson(*i, checked));
  if (call.method == "GET") return jsonReply(200, {{"tasks", list}});
  if (call.method != "DELETE") return messageReply(405, call.method + " is not allowed on tasks");
  std::vector<std::string> ids;
  for (const Instance* i : chosen) ids.push_back(i->taskId);
  bool scale = flag(call, "scale");
  if (scale && flag(call, "wipe")) return messageReply(400, "You cannot use scale and wipe at the same time.");
  ChangeResult result = service_.killTasks(ids, scale, flag(call, "wipe"), flag(call, "force"));
  if (scale) return changed(result);
  if (!taskId.empty()) return changed(result, 200, json{{"task", list.at(0)}});
  return changed(result, 200, json{{"tasks", list}});
}

ApiReply MarathonApi::appVersions(const ApiCall& call, const std::string& id, const std::string& version) {
  if (call.method != "GET") return messageReply(405, "versions are read with GET; roll back with PUT /v2/apps" + id + " {\"version\": V}");
  if (!service_.app(id)) return notFound(id);
  if (version.empty()) {
    std::vector<std::string> v = service_.versionsOf(id);
    std::reverse(v.begin(), v.end());
    return jsonReply(200, {{"versions", v}});
  }
  std::optional<AppDefinition> old = service_.appVersion(id, version);
  if (!old) return messageReply(404, "App '" + id + "' does not exist in version " + version);
  return jsonReply(200, appToJson(*old));
}

}  // namespace agora::marathon
