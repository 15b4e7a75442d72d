#include "common/framework_leadership.hpp"

#include <thread>

#include <glog/logging.h>
#include <nlohmann/json.hpp>

#include "common/etcd_store.hpp"
#include "common/ids.hpp"
#include "common/leader_redirect.hpp"

namespace agora {

namespace {

ElectionOptions electionOptions(const LeadershipOptions& o) {
  ElectionOptions e;
  e.name = "framework/" + o.name;
  e.ttl = o.ttl;
  return e;
}

std::string withoutScheme(const std::string& url) {
  size_t at = url.find("://");
  return at == std::string::npos ? url : url.substr(at + 3);
}

}  // namespace

FrameworkLeadership::FrameworkLeadership(EventLoop& loop, LeadershipOptions options,
                                         std::function<void(const std::string&)> deposed)
    : loop_(loop),
      options_(std::move(options)),
      deposed_(std::move(deposed)),
      me_{newId(options_.name), "", "http://" + options_.httpAddress} {}

void FrameworkLeadership::start(std::function<void()> elected) {
  LeaderElection::Events events;
  events.elected = [this, elected = std::move(elected)](int64_t term) {
    LOG(INFO) << "This instance (" << me_.id << ") leads " << options_.name << " in term " << term;
    elected();
  };
  events.deposed = deposed_;
  events.leaderChanged = [this](const std::optional<ElectionMember>& leader) {
    if (leader && leader->id != me_.id) LOG(INFO) << "Instance " << leader->id << " leads at " << leader->http;
  };
  election_ = std::make_unique<LeaderElection>(loop_, options_.etcd, electionOptions(options_), me_, std::move(events));
  election_->start();
  LOG(INFO) << "Standing for election as " << me_.id << " among the instances of " << options_.name;
}

std::unique_ptr<Store> FrameworkLeadership::openStore() {
  auto guard = std::make_shared<const std::string>(me_.toJson());
  // Runs where the write ran; what follows belongs on the loop.
  auto onDeposed = [this] {
    loop_.post([this] { deposed_("a write found another instance's leader key"); });
  };
  return guardStore(openEtcdStore(options_.etcd, "framework/" + options_.name + "/state"), options_.etcd.prefix + "/framework/" + options_.name + "/leader",
                    guard, onDeposed);
}

void FrameworkLeadership::awaitSuccessor(std::chrono::milliseconds timeout) const {
  EtcdClient etcd(options_.etcd, std::chrono::milliseconds(500));
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    Try<std::optional<ElectionMember>> leader = findLeader(etcd, "framework/" + options_.name);
    if (leader.ok() && *leader && (*leader)->id != me_.id) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

ApiReply FrameworkLeadership::standbyReply(const ApiCall& call) const {
  if (call.path == "/ping") return ApiReply{200, "pong", "text/plain"};
  std::string leader = leaderAddress();
  if ((call.path == "/v2/leader" || call.path == "/leader" || call.path == "/v1/leader") && call.method == "GET") {
    if (leader.empty()) return errorReply(404, "there is no leader at the moment");
    return jsonReply(200, nlohmann::json{{"leader", leader}});
  }
  return redirectToLeader(call, election_ ? election_->leader() : std::nullopt, me_.id, options_.name + " instance");
}

std::string FrameworkLeadership::leaderAddress() const {
  std::optional<ElectionMember> leader = election_ ? election_->leader() : std::nullopt;
  return leader ? withoutScheme(leader->http) : std::string();
}

}  // namespace agora
