#pragma once
// What a standby answers over HTTP: the leader's business goes to the leader, by a 307 to the
// same path and query there (curl -L, browsers and the CLI follow it), or a 503 while no one
// leads. Masters and framework instances answer alike.

#include <optional>
#include <string>

#include "common/http_server.hpp"
#include "common/leader_election.hpp"

namespace agora {

// `self` is this process's member id; `what` names the kind of process, for the message
// ("master", "agora-marathon instance").
ApiReply redirectToLeader(const ApiCall& call, const std::optional<ElectionMember>& leader, const std::string& self,
                          const std::string& what);

}  // namespace agora
