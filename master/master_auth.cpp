// Authentication's consequences and authorization: which principal a peer is, and what the
// ACL lets it do. Without CURVE or tokens there are no principals; without an ACL every
// principal may everything (as Mesos without --acls).
#include <glog/logging.h>

#include "master/master.hpp"

namespace agora {

namespace {

// The operator action a call takes, if it changes anything the ACL governs.
std::optional<Action> operatorAction(const ApiCall& call) {
  if (call.method == "GET" || call.method == "HEAD") return std::nullopt;
  auto endsWith = [&](const std::string& tail) {
    return call.path.size() >= tail.size() && call.path.compare(call.path.size() - tail.size(), tail.size(), tail) == 0;
  };
  if (call.path.rfind("/api/v1/roles/", 0) == 0) {
    if (endsWith("/quota")) return Action::kQuota;
    if (endsWith("/weight")) return Action::kWeights;
  }
  if (call.path.rfind("/api/v1/agents/", 0) == 0) {
    if (endsWith("/drain") || endsWith("/undrain")) return Action::kDrain;
    if (endsWith("/reserve") || endsWith("/unreserve")) return Action::kReservations;
  }
  if (call.path.rfind("/api/v1/frameworks/", 0) == 0 && endsWith("/teardown")) return Action::kTeardown;
  return std::nullopt;
}

std::string who(const std::string& principal) {
  return principal.empty() ? std::string("an unauthenticated caller") : "principal '" + principal + "'";
}

}  // namespace

Status Master::authorizeAgent(const std::string& principal) {
  if (!options_.acl || options_.acl->may(principal, Action::kRegisterAgents)) return Status::OK();
  ++counters_["acl_refused_agents"];
  return Error(who(principal) + " may not register agents: the master's ACL does not give it register_agents");
}

Status Master::authorizeSubscription(const std::string& principal, FrameworkInfo& info) {
  if (!principal.empty()) {
    // The principal a framework names is the one it authenticated as (Mesos refuses a
    // mismatch too); naming none, it gets that one.
    if (!info.principal.empty() && info.principal != principal) {
      ++counters_["acl_refused_frameworks"];
      return Error("framework_info.principal '" + info.principal + "' is not the principal this scheduler authenticated as ('" +
                   principal + "'): leave it out, or use that principal's key or token");
    }
    info.principal = principal;
  }
  if (!options_.acl) return Status::OK();
  for (const std::string& role : info.roles) {
    if (options_.acl->mayUseRole(principal, role)) continue;
    ++counters_["acl_refused_frameworks"];
    return Error(who(principal) + " may not subscribe frameworks in role '" + role +
                 "': the master's ACL does not list it among that principal's roles");
  }
  return Status::OK();
}

Status Master::authorizeTaskUser(const FrameworkRecord& fw, const TaskInfo& task) {
  if (!options_.acl) return Status::OK();
  // A task naming no user runs as the agent's own user, root on a production agent: the
  // master cannot know better, so it takes the worst case.
  std::string user = task.user.empty() ? "root" : task.user;
  if (options_.acl->mayRunAs(fw.info.principal, user)) return Status::OK();
  ++counters_["acl_refused_tasks"];
  return Error("task '" + task.taskId + "' would run as user '" + user + "', which the master's ACL does not allow " +
               who(fw.info.principal) + ": give the task a user that principal may use");
}

std::optional<ApiReply> Master::authorizeOperator(const ApiCall& call) {
  std::optional<Action> action = operatorAction(call);
  if (!action || !options_.acl || options_.acl->may(call.principal, *action)) return std::nullopt;
  ++counters_["acl_refused_operator_calls"];
  return errorReply(403, who(call.principal) + " may not " + call.method + " " + call.path +
                             ": the master's ACL does not give it the action '" + actionName(*action) + "'");
}

// With CURVE, every message carries the principal of its connection's key. One that differs
// from the key the peer registered with is another process using its routing id.
bool Master::principalChanged(const std::string& peer, const Peer& who) {
  if (!options_.curve || socket_.principal() == who.principal) return false;
  ++counters_["auth_refused_messages"];
  LOG(WARNING) << "Refused a message on the connection of " << (who.isAgent ? "agent " : "framework ") << who.id
               << ": it came with principal '" << socket_.principal() << "', not '" << who.principal << "'";
  sendError(peer, "this connection belongs to principal '" + who.principal + "'; register under your own");
  return true;
}

}  // namespace agora
