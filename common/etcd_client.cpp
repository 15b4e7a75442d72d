#include "common/etcd_client.hpp"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "common/base64.hpp"
#include "common/text.hpp"

namespace agora {

using nlohmann::json;

namespace {

constexpr std::string_view kScheme = "etcd://";

int64_t number(const json& j, const char* field) {
  if (!j.contains(field)) return 0;  // proto3 leaves zeroes out
  const json& v = j[field];
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_string()) return std::stoll(v.get<std::string>());
  return 0;
}

// The end of the range of keys that start with `prefix`: the prefix with its last byte
// incremented (etcd's convention), or "\0" for every key.
std::string prefixEnd(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    unsigned char last = static_cast<unsigned char>(end.back());
    if (last < 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');
}

json opJson(const EtcdOp& op) {
  if (!op.value) return {{"request_delete_range", {{"key", base64Encode(op.key)}}}};
  json put = {{"key", base64Encode(op.key)}, {"value", base64Encode(*op.value)}};
  if (op.lease != 0) put["lease"] = std::to_string(op.lease);
  return {{"request_put", put}};
}

Try<json> parseAnswer(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Error("etcd answered with something that is not JSON: " + body.substr(0, 200));
  if (j.contains("error")) return Error("etcd: " + j.value("message", j["error"].dump()));
  return j;
}

Try<std::vector<EtcdKeyValue>> keyValues(const json& answer) {
  std::vector<EtcdKeyValue> out;
  if (!answer.contains("kvs")) return out;
  for (const json& kv : answer["kvs"]) {
    Try<std::string> key = base64Decode(kv.value("key", ""));
    Try<std::string> value = base64Decode(kv.value("value", ""));
    if (key.isError() || value.isError()) return Error("etcd answered with a key or value that is not base64");
    out.push_back({*key, *value, number(kv, "create_revision"), number(kv, "mod_revision"), number(kv, "lease")});
  }
  return out;
}

}  // namespace

bool isEtcdUrl(const std::string& text) { return text.rfind(kScheme, 0) == 0; }

Try<EtcdTarget> parseEtcdUrl(const std::string& url) {
  if (!isEtcdUrl(url)) return Error("'" + url + "' is not an etcd:// address (etcd://HOST:PORT[,HOST:PORT...]/PREFIX)");
  std::string rest = url.substr(kScheme.size());
  size_t slash = rest.find('/');
  EtcdTarget target;
  target.prefix = slash == std::string::npos ? "/agora" : rest.substr(slash);
  while (target.prefix.size() > 1 && target.prefix.back() == '/') target.prefix.pop_back();
  if (target.prefix == "/") target.prefix = "/agora";
  for (const std::string& hostPort : splitText(rest.substr(0, slash), ',')) {
    size_t colon = hostPort.rfind(':');
    int port = 0;
    if (colon != std::string::npos && colon > 0) {
      try {
        port = std::stoi(hostPort.substr(colon + 1));
      } catch (const std::exception&) {
        port = 0;
      }
    }
    if (port <= 0 || port > 65535)
      return Error("'" + hostPort + "' in '" + url + "' is not HOST:PORT (etcd's client port is usually 2379)");
    target.servers.push_back({hostPort.substr(0, colon), port});
  }
  return target;
}

EtcdClient::EtcdClient(EtcdTarget target, std::chrono::milliseconds timeout)
    : target_(std::move(target)), timeout_(timeout) {}

Try<std::string> EtcdClient::call(const std::string& path, const std::string& body) const {
  std::string errors;
  for (size_t tried = 0; tried < target_.servers.size(); ++tried) {
    size_t i = (preferred_ + tried) % target_.servers.size();
    const auto& [host, port] = target_.servers[i];
    httplib::Client client(host, port);
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout_);
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(timeout_ - seconds);
    client.set_connection_timeout(seconds.count(), micros.count());
    client.set_read_timeout(seconds.count(), micros.count());
    client.set_write_timeout(seconds.count(), micros.count());
    auto res = client.Post(path, body, "application/json");
    if (res) {
      preferred_ = i;
      return res->body;
    }
    errors += (errors.empty() ? "" : "; ") + host + ":" + std::to_string(port) + ": " + httplib::to_string(res.error());
  }
  return Error("no etcd server answered (" + errors + ")");
}

Try<std::vector<EtcdKeyValue>> EtcdClient::range(const std::string& key, bool prefix) const {
  json req = {{"key", base64Encode(key)}};
  if (prefix) req["range_end"] = base64Encode(prefixEnd(key));
  Try<std::string> body = call("/v3/kv/range", req.dump());
  if (body.isError()) return Error(body.error());
  Try<json> answer = parseAnswer(*body);
  if (answer.isError()) return Error(answer.error());
  return keyValues(*answer);
}

Status EtcdClient::put(const std::string& key, const std::string& value, int64_t lease) const {
  Try<bool> done = txn({}, {{key, value, lease}});
  return done.isError() ? Status(Error(done.error())) : Status::OK();
}

Status EtcdClient::remove(const std::string& key, bool prefix) const {
  json req = {{"key", base64Encode(key)}};
  if (prefix) req["range_end"] = base64Encode(prefixEnd(key));
  Try<std::string> body = call("/v3/kv/deleterange", req.dump());
  if (body.isError()) return Error(body.error());
  Try<json> answer = parseAnswer(*body);
  return answer.isError() ? Status(Error(answer.error())) : Status::OK();
}

Try<bool> EtcdClient::txn(const std::vector<EtcdCompare>& compares, const std::vector<EtcdOp>& then,
                          const std::vector<EtcdOp>& otherwise) const {
  json req = {{"compare", json::array()}, {"success", json::array()}, {"failure", json::array()}};
  for (const EtcdCompare& c : compares) {
    json cmp = {{"key", base64Encode(c.key)}, {"result", "EQUAL"}};
    if (c.value) cmp["target"] = "VALUE", cmp["value"] = base64Encode(*c.value);
    else cmp["target"] = "CREATE", cmp["create_revision"] = "0";
    req["compare"].push_back(cmp);
  }
  for (const EtcdOp& op : then) req["success"].push_back(opJson(op));
  for (const EtcdOp& op : otherwise) req["failure"].push_back(opJson(op));
  Try<std::string> body = call("/v3/kv/txn", req.dump());
  if (body.isError()) return Error(body.error());
  Try<json> answer = parseAnswer(*body);
  if (answer.isError()) return Error(answer.error());
  return answer->value("succeeded", false);
}

Try<int64_t> EtcdClient::grantLease(int64_t ttlSeconds) const {
  Try<std::string> body = call("/v3/lease/grant", json({{"TTL", std::to_string(ttlSeconds)}}).dump());
  if (body.isError()) return Error(body.error());
  Try<json> answer = parseAnswer(*body);
  if (answer.isError()) return Error(answer.error());
  if (!answer->value("error", std::string()).empty()) return Error("etcd refused a lease: " + (*answer)["error"].dump());
  int64_t id = number(*answer, "ID");
  if (id == 0) return Error("etcd granted no lease: " + body->substr(0, 200));
  return id;
}

Try<int64_t> EtcdClient::keepAlive(int64_t lease) const {
  Try<std::string> body = call("/v3/lease/keepalive", json({{"ID", std::to_string(lease)}}).dump());
  if (body.isError()) return Error(body.error());
  // A stream of one answer: {"result": {...}}.
  size_t newline = body->find('\n');
  Try<json> answer = parseAnswer(body->substr(0, newline));
  if (answer.isError()) return Error(answer.error());
  if (!answer->contains("result")) return Error("etcd's keep-alive answered without a result: " + body->substr(0, 200));
  return number((*answer)["result"], "TTL");
}

Status EtcdClient::revoke(int64_t lease) const {
  // etcd 3.4 serves LeaseRevoke under /v3/kv/lease/revoke.
  Try<std::string> body = call("/v3/kv/lease/revoke", json({{"ID", std::to_string(lease)}}).dump());
  if (body.isError()) return Error(body.error());
  Try<json> answer = parseAnswer(*body);
  return answer.isError() ? Status(Error(answer.error())) : Status::OK();
}

}  // namespace agora
