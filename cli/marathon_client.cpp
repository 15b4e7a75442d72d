#include "cli/marathon_client.hpp"

#include <cstdlib>

#include <gflags/gflags.h>
#include <httplib.h>

DEFINE_string(marathon, "", "agora-marathon's HTTP address host:port (default: $AGORA_MARATHON, else 127.0.0.1:8080).");

namespace agora::cli {

std::string marathonAddress() {
  if (!FLAGS_marathon.empty()) return FLAGS_marathon;
  if (const char* env = std::getenv("AGORA_MARATHON"); env && *env) return env;
  return "127.0.0.1:8080";
}

Try<ApiReply> callMarathon(const std::string& method, const std::string& target, const std::string& body) {
  std::string address = marathonAddress();
  if (address.rfind("http://", 0) == 0) address = address.substr(7);
  size_t colon = address.rfind(':');
  int port = 0;
  if (colon != std::string::npos) {
    try {
      port = std::stoi(address.substr(colon + 1));
    } catch (const std::exception&) {
    }
  }
  if (port <= 0 || port > 65535) return Error("'" + address + "' is not host:port (give --marathon=HOST:PORT)");
  httplib::Client client(address.substr(0, colon), port);
  client.set_connection_timeout(3, 0);
  client.set_read_timeout(30, 0);
  auto send = [&] {
    if (method == "POST") return client.Post(target.c_str(), body, "application/json");
    if (method == "PUT") return client.Put(target.c_str(), body, "application/json");
    if (method == "PATCH") return client.Patch(target.c_str(), body, "application/json");
    if (method == "DELETE") return client.Delete(target.c_str());
    return client.Get(target.c_str());
  };
  auto r = send();
  if (!r)
    return Error("agora-marathon does not answer at " + address + " (" + httplib::to_string(r.error()) +
                 "); is it running? `agora dev` starts one; --marathon or $AGORA_MARATHON point elsewhere");
  ApiReply reply;
  reply.status = r->status;
  reply.body = r->body;
  return reply;
}

}  // namespace agora::cli
