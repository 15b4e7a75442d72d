// /v2/groups: the tree of apps by path, and changes to a whole group in one deployment.
#include <cmath>
#include <limits>
#include <set>

#include "frameworks/marathon-like/api.hpp"
#include "frameworks/marathon-like/app_json.hpp"
#include "frameworks/marathon-like/app_validation.hpp"
#include "frameworks/marathon-like/path_id.hpp"

namespace agora::marathon {

using nlohmann::json;

namespace {

bool groupExists(const Service& s, const std::string& id) {
  if (id == "/" || s.groups().count(id)) return true;
  for (const auto& [appId, app] : s.apps())
    if (appId != id && isUnder(appId, id)) return true;
  for (const std::string& g : s.groups())
    if (isUnder(g, id)) return true;
  return false;
}

// The apps of a GroupUpdate body, ids resolved against the group's path, nested groups too.
void readGroupApps(const json& group, const std::string& path, const std::string& role, AppChanges& out,
                   Violations& v, const std::string& at, std::vector<std::string>& groups) {
  if (!group.is_object()) return v.push_back({at, "error.expected.jsobject"});
  groups.push_back(path);
  if (group.contains("apps")) {
    if (!group["apps"].is_array()) return v.push_back({at + "/apps", "error.expected.jsarray"});
    for (size_t i = 0; i < group["apps"].size(); ++i) {
      Violations mine;
      Try<AppDefinition> app = readApp(group["apps"][i], path, role, mine);
      if (app.ok() && !isUnder(app->id, path)) mine.push_back({"/id", "Identifier is not child of '" + path + "'"});
      for (Violation& one : mine) v.push_back({indexed(at + "/apps", i) + one.path, one.error});
      if (mine.empty()) out[app->id] = *app;
    }
  }
  if (group.contains("groups")) {
    if (!group["groups"].is_array()) return v.push_back({at + "/groups", "error.expected.jsarray"});
    for (size_t i = 0; i < group["groups"].size(); ++i) {
      const json& sub = group["groups"][i];
      std::string where = at + "/groups(" + std::to_string(i) + ")";
      if (!sub.is_object() || !sub.contains("id") || !sub["id"].is_string()) {
        v.push_back({where + "/id", "error.path.missing"});
        continue;
      }
      Try<std::string> subPath = resolvePath(sub["id"], path);
      if (subPath.isError()) v.push_back({where + "/id", subPath.error()});
      else readGroupApps(sub, *subPath, role, out, v, where, groups);
    }
  }
  // The group's dependencies are every one of its apps' (Marathon: each app of the group
  // depends on each app of the other group).
  if (group.contains("dependencies")) {
    if (!group["dependencies"].is_array()) return v.push_back({at + "/dependencies", "error.expected.jsarray"});
    for (size_t i = 0; i < group["dependencies"].size(); ++i) {
      const json& dep = group["dependencies"][i];
      Try<std::string> resolved = dep.is_string() ? resolvePath(dep, path) : Try<std::string>(Error("error.expected.jsstring"));
      if (resolved.isError()) {
        v.push_back({at + "/dependencies(" + std::to_string(i) + ")", resolved.error()});
        continue;
      }
      for (auto& [id, app] : out)
        if (isUnder(id, path) && !isUnder(*resolved, path)) app->dependencies.push_back(*resolved);
    }
  }
  static const std::set<std::string> known = {"id", "apps", "groups", "dependencies", "pods", "enforceRole", "version",
                                              "scaleBy"};
  for (const auto& [key, value] : group.items())
    if (!known.count(key)) v.push_back({at + "/" + key, "is not a field Agora knows; remove it (see docs/services.md for the fields)"});
  for (const char* unsupported : {"pods", "enforceRole"})
    if (group.contains(unsupported) && !group[unsupported].is_null() && group[unsupported] != json::array() &&
        group[unsupported] != false)
      v.push_back({at + "/" + unsupported, std::string(unsupported) + " are not supported by Agora yet"});
}

}  // namespace

json MarathonApi::groupJson(const std::string& id, const std::set<std::string>& embed) const {
  // The group directly below `id` on the way to `path`.
  auto childOn = [&](const std::string& path) {
    std::vector<std::string> s = segments(path);
    return (id == "/" ? "" : id) + "/" + s[segments(id).size()];
  };
  json apps = json::array(), groups = json::array();
  std::set<std::string> children;
  for (const auto& [appId, app] : service_.apps()) {
    if (appId == id || !isUnder(appId, id)) continue;
    if (parentOf(appId) == id) apps.push_back(embed.empty() ? appToJson(app) : appView(app, embed));
    else children.insert(childOn(appId));
  }
  for (const std::string& g : service_.groups())
    if (g != id && isUnder(g, id)) children.insert(childOn(g));
  for (const std::string& child : children) groups.push_back(groupJson(child, embed));
  return {{"id", id}, {"apps", apps}, {"pods", json::array()}, {"groups", groups}, {"dependencies", json::array()},
          {"enforceRole", false}};
}

ApiReply MarathonApi::groups(const ApiCall& call, const std::string& rawId) {
  Try<std::string> id = resolvePath(rawId.empty() ? "/" : rawId);
  if (id.isError()) return jsonReply(422, violationsBody({{"/id", id.error()}}));
  if (call.method == "GET") {
    if (!groupExists(service_, *id)) return messageReply(404, "Group '" + *id + "' does not exist");
    std::set<std::string> embed;
    for (const std::string& e : embedsOf(call))
      if (e != "groups" && e != "apps" && e != "pods") embed.insert(e.rfind("apps.", 0) == 0 ? e.substr(5) : e);
    return jsonReply(200, groupJson(*id, embed));
  }
  bool force = flag(call, "force");
  if (call.method == "DELETE") {
    if (!groupExists(service_, *id)) return messageReply(404, "Group '" + *id + "' does not exist");
    AppChanges changes;
    for (const auto& [appId, app] : service_.apps())
      if (isUnder(appId, *id)) changes[appId] = std::nullopt;
    ChangeResult result = service_.change(changes, force, "delete");
    if (result.status == 200) service_.removeGroups(*id);
    return changed(result);
  }
  if (call.method != "POST" && call.method != "PUT") return messageReply(405, call.method + " is not allowed on /v2/groups");
  Try<json> body = parseBody(call);
  if (body.isError()) return invalidJson(body.error());
  if (!body->is_object()) return jsonReply(422, violationsBody({{"/", "error.expected.jsobject"}}));
  std::string path = *id;
  if (body->contains("id") && (*body)["id"].is_string()) {
    Try<std::string> named = resolvePath((*body)["id"], *id);
    if (named.isError()) return jsonReply(422, violationsBody({{"/id", named.error()}}));
    path = *named;
  }
  if (call.method == "POST" && path != "/" && groupExists(service_, path))
    return messageReply(409, "Group " + path + " is already created. Use PUT to change this group.");
  if (call.method == "POST" && service_.app(path)) return messageReply(409, "An app with the path " + path + " already exists.");
  AppChanges changes;
  bool dryRun = flag(call, "dryRun");
  auto plan = [&](const AppChanges& c) -> ApiReply {
    Try<std::vector<DeploymentStep>> steps = service_.preview(c);
    if (steps.isError()) return jsonReply(422, violationsBody({{"/dependencies", steps.error()}}));
    Deployment d;
    d.steps = *steps;
    return jsonReply(200, {{"steps", deploymentToJson(d)["steps"]}});
  };
  if (body->contains("scaleBy")) {
    if (!(*body)["scaleBy"].is_number() || (*body)["scaleBy"].get<double>() < 0)
      return jsonReply(422, violationsBody({{"/scaleBy", "error.expected.jsnumber"}}));
    double by = (*body)["scaleBy"];
    for (const auto& [appId, app] : service_.apps())
      if (isUnder(appId, path)) {
        double scaled = std::ceil(app.instances * by - 1e-9);
        if (scaled > std::numeric_limits<uint32_t>::max())
          return jsonReply(422, violationsBody({{"/scaleBy", "scales " + appId + " to " + std::to_string(scaled) +
                                                                 " instances, more than " + std::to_string(std::numeric_limits<uint32_t>::max())}}));
        AppDefinition next = app;
        next.instances = static_cast<uint32_t>(scaled);
        changes[appId] = next;
      }
    if (dryRun) return plan(changes);
    return changed(service_.change(changes, force, "scale"));
  }
  if (body->contains("version"))
    return jsonReply(422, violationsBody({{"/version", "group versions are not kept by Agora yet; roll back each app with PUT /v2/apps/{id} {\"version\": V}"}}));
  Violations v;
  std::vector<std::string> groups;
  readGroupApps(*body, path, service_.options().role, changes, v, "", groups);
  if (!v.empty()) return jsonReply(422, violationsBody(v));
  // PUT replaces the group: its apps that the body does not list are removed.
  if (call.method == "PUT")
    for (const auto& [appId, app] : service_.apps())
      if (isUnder(appId, path) && !changes.count(appId)) changes[appId] = std::nullopt;
  if (dryRun) return plan(changes);
  ChangeResult result = service_.change(changes, force, call.method == "POST" ? "create" : "update");
  if (result.status == 200) {
    for (const std::string& g : groups) service_.addGroup(g);
    postEvent(call, *body);
  }
  return changed(result, call.method == "POST" ? 201 : 200, std::nullopt, call.method == "POST" ? "/v2/groups" + path : "");
}

}  // namespace agora::marathon
