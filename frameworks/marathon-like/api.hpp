#pragma once
// Marathon's REST API (/v2/...) over the service, on its loop. Reads answer at once; a change
// answers once what it decided is durable (a PendingReply given after the journal's commit),
// with Marathon's status codes, bodies and the Marathon-Deployment-Id header.

#include <functional>
#include <string>

#include "common/http_server.hpp"
#include "frameworks/marathon-like/service.hpp"

namespace agora::marathon {

struct ApiOptions {
  std::string httpAddress;  // "host:port" this API is reached at, for /v2/info and /v2/leader
  std::string master;
  // Hands leadership to a standby (DELETE /v2/leader); empty when this instance runs alone.
  std::function<void()> abdicate{};
};

class MarathonApi {
 public:
  MarathonApi(Service& service, ApiOptions options) : service_(service), options_(std::move(options)) {}

  // The whole request: routes it, then has the service settle (which commits).
  ApiReply handle(const ApiCall& call);

 private:
  ApiReply route(const ApiCall& call);
  // api_apps.cpp
  ApiReply apps(const ApiCall& call, const std::string& rest);
  ApiReply listApps(const ApiCall& call);
  ApiReply postApp(const ApiCall& call);
  ApiReply putApps(const ApiCall& call, bool patch);
  ApiReply putApp(const ApiCall& call, const std::string& id, bool patch);
  ApiReply deleteApp(const ApiCall& call, const std::string& id);
  ApiReply restartApp(const ApiCall& call, const std::string& id);
  ApiReply appTasks(const ApiCall& call, const std::string& id, const std::string& taskId);
  ApiReply appVersions(const ApiCall& call, const std::string& id, const std::string& version);
  // api_groups.cpp
  ApiReply groups(const ApiCall& call, const std::string& id);
  nlohmann::json groupJson(const std::string& id, const std::set<std::string>& embed) const;
  // api_misc.cpp
  ApiReply deployments(const ApiCall& call, const std::string& id);
  ApiReply tasks(const ApiCall& call);
  ApiReply deleteTasks(const ApiCall& call);
  ApiReply queue(const ApiCall& call, const std::string& rest);
  ApiReply events(const ApiCall& call);
  ApiReply info() const;
  ApiReply metrics() const;

  // The answer to a change: after the commit, Marathon's {"deploymentId", "version"} (or the
  // given body) with its header; or the error at once.
  ApiReply changed(const ChangeResult& result, int status = 200, std::optional<nlohmann::json> body = std::nullopt,
                   std::string location = "");
  nlohmann::json appView(const AppDefinition& app, const std::set<std::string>& embed) const;
  // appView's text, from the definition's JSON text kept per version: GET /v2/apps of
  // thousands of apps costs string copies, not building and dumping every definition again.
  std::string appViewText(const AppDefinition& app, const std::set<std::string>& embed) const;
  nlohmann::json appStatus(const AppDefinition& app, const std::set<std::string>& embed) const;
  void postEvent(const ApiCall& call, const nlohmann::json& definition);

  Service& service_;
  ApiOptions options_;
  mutable std::map<std::string, std::pair<std::string, std::string>> definitionText_;  // id -> version, text
};

// {"message": "..."} with `status`, Marathon's error shape.
ApiReply messageReply(int status, const std::string& message);
// The JSON body, or what the parser said of it.
Try<nlohmann::json> parseBody(const ApiCall& call);
// Marathon's 400 for a body that does not parse: {"message": "Invalid JSON", "details": "..."}.
ApiReply invalidJson(const std::string& details);
// ?embed=apps.tasks,apps.counts -> {"tasks", "counts"} (the "apps."/"app." prefix dropped).
std::set<std::string> embedsOf(const ApiCall& call);
bool flag(const ApiCall& call, const std::string& name);

}  // namespace agora::marathon
