#include "cli/marathon_client.hpp"

#include <cstdlib>

#include <gflags/gflags.h>

#include "cli/credentials.hpp"
#include "cli/framework_client.hpp"

DEFINE_string(marathon, "", "agora-marathon's HTTP address host:port (default: $AGORA_MARATHON, else 127.0.0.1:8080,127.0.0.1:8090); several, comma-separated, are tried in turn (instances with standbys).");

namespace agora::cli {

std::string marathonAddress() {
  if (!FLAGS_marathon.empty()) return FLAGS_marathon;
  if (const char* env = std::getenv("AGORA_MARATHON"); env && *env) return env;
  if (const Try<Credentials>& c = credentials(); !c.isError() && !c->marathon.empty()) return c->marathon;
  return "127.0.0.1:8080,127.0.0.1:8090";  // and the standby of `agora dev --ha`
}

Try<ApiReply> callMarathon(const std::string& method, const std::string& target, const std::string& body) {
  return callFramework(marathonAddress(), "agora-marathon", "give --marathon=HOST:PORT or $AGORA_MARATHON", method, target, body);
}

}  // namespace agora::cli
