#include "common/leader_redirect.hpp"

#include <cctype>
#include <cstdio>

namespace agora {

namespace {

std::string encodeQueryPart(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ',' || c == '/' || c == ':') {
      out += static_cast<char>(c);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      out += hex;
    }
  }
  return out;
}

}  // namespace

ApiReply redirectToLeader(const ApiCall& call, const std::optional<ElectionMember>& leader, const std::string& self,
                          const std::string& what) {
  if (!leader || leader->id == self || leader->http.empty())
    return errorReply(503, "this " + what + " does not lead and none leads at the moment; retry shortly");
  std::string target = call.path;
  char sep = '?';
  for (const auto& [k, v] : call.query) {
    target += sep + encodeQueryPart(k) + "=" + encodeQueryPart(v);
    sep = '&';
  }
  ApiReply reply = errorReply(307, "this " + what + " does not lead; " + leader->id + " does at " + leader->http);
  reply.headers["Location"] = leader->http + target;
  return reply;
}

}  // namespace agora
