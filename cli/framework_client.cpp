#include "cli/framework_client.hpp"

#include <fstream>
#include <iostream>
#include <sstream>

#include <httplib.h>

#include "cli/credentials.hpp"
#include "common/text.hpp"

namespace agora::cli {

namespace {

// One instance at host:port; a standby's 307 to the leader is followed.
Try<ApiReply> callInstance(const std::string& rawAddress, const std::string& who, const std::string& hint,
                           const std::string& method, const std::string& target, const std::string& body) {
  std::string address = rawAddress, scheme = "http://";
  if (address.rfind("http://", 0) == 0) address = address.substr(7);
  if (address.rfind("https://", 0) == 0) address = address.substr(8), scheme = "https://";
  size_t colon = address.rfind(':');
  int port = 0;
  if (colon != std::string::npos) {
    try {
      port = std::stoi(address.substr(colon + 1));
    } catch (const std::exception&) {
    }
  }
  if (port <= 0 || port > 65535) return Error("'" + address + "' is not host:port (" + hint + ")");
  httplib::Client client(scheme + address);
  authorize(client);
  client.set_connection_timeout(3, 0);
  client.set_read_timeout(30, 0);
  client.set_follow_location(true);
  auto send = [&] {
    if (method == "POST") return client.Post(target.c_str(), body, "application/json");
    if (method == "PUT") return client.Put(target.c_str(), body, "application/json");
    if (method == "PATCH") return client.Patch(target.c_str(), body, "application/json");
    if (method == "DELETE") return client.Delete(target.c_str());
    return client.Get(target.c_str());
  };
  auto r = send();
  if (!r && r.error() == httplib::Error::SSLServerVerification)
    return Error(untrustedCertificate(who + " at " + scheme + address));
  if (!r) return Error(who + " does not answer at " + address + " (" + httplib::to_string(r.error()) + ")");
  ApiReply reply;
  reply.status = r->status;
  reply.body = r->body;
  return reply;
}

}  // namespace

Try<ApiReply> callFramework(const std::string& addresses, const std::string& who, const std::string& hint,
                            const std::string& method, const std::string& target, const std::string& body) {
  // Several instances: the first that answers, unless it has no leader to send us to.
  std::vector<std::string> list = splitText(addresses, ',');
  if (list.empty()) return Error("no address for " + who + " (" + hint + ")");
  Try<ApiReply> last = Error("");
  for (const std::string& address : list) {
    last = callInstance(address, who, hint, method, target, body);
    if (last.ok() && last->status != 503) return last;
  }
  if (last.isError())
    return Error(last.error() + "; is it running? `agora dev` starts one; " + hint);
  return last;
}

std::optional<nlohmann::json> jsonAnswer(const std::string& what, const Try<ApiReply>& reply) {
  if (reply.isError()) {
    std::cerr << "agora " << what << ": " << reply.error() << "\n";
    return std::nullopt;
  }
  if (reply->status < 200 || reply->status > 299) {
    std::cerr << "agora " << what << ": HTTP " << reply->status << ": " << reply->body << "\n";
    return std::nullopt;
  }
  if (reply->body.empty()) return nlohmann::json::object();
  nlohmann::json j = nlohmann::json::parse(reply->body, nullptr, false);
  return j.is_discarded() ? nlohmann::json(reply->body) : j;
}

std::optional<std::string> readFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace agora::cli
