#include "common/master_locator.hpp"

#include <glog/logging.h>

#include "common/leader_election.hpp"
#include "common/text.hpp"
#include "common/transport.hpp"

namespace agora {

Try<std::unique_ptr<MasterLocator>> MasterLocator::make(const std::string& master) {
  std::unique_ptr<MasterLocator> locator(new MasterLocator());
  locator->spec_ = master;
  if (isEtcdUrl(master)) {
    Try<EtcdTarget> target = parseEtcdUrl(master);
    if (target.isError()) return Error(target.error());
    locator->etcd_ = std::make_unique<EtcdClient>(*target, std::chrono::milliseconds(500));
    return locator;
  }
  for (const std::string& one : splitText(master, ','))
    if (!one.empty()) locator->listed_.push_back(tcpEndpoint(one));
  if (locator->listed_.empty())
    return Error("--master is empty: give host:port, a comma-separated list of masters, or etcd://HOST:PORT/PREFIX");
  return locator;
}

MasterLocator::~MasterLocator() {
  *alive_ = false;
  if (lookup_.joinable()) lookup_.join();
}

std::string MasterLocator::nextOf(const std::vector<std::string>& endpoints) {
  if (endpoints.empty()) return "";
  std::lock_guard<std::mutex> lock(mutex_);
  return endpoints[turn_++ % endpoints.size()];
}

std::string MasterLocator::locate() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!redirect_.empty()) return std::exchange(redirect_, "");
  }
  if (!etcd_) return nextOf(listed_);
  Try<std::optional<ElectionMember>> leader = findLeader(*etcd_, "master");
  if (leader.ok() && *leader && !(*leader)->zmq.empty()) return (*leader)->zmq;
  if (leader.isError()) {
    LOG_EVERY_N(WARNING, 10) << "Cannot read the leading master from " << spec_ << ": " << leader.error();
  }
  // No leader at the moment: any master that campaigns answers with the leader once there is one.
  Try<std::vector<ElectionMember>> members = findMembers(*etcd_, "master");
  std::vector<std::string> endpoints;
  if (members.ok())
    for (const ElectionMember& m : *members)
      if (!m.zmq.empty()) endpoints.push_back(m.zmq);
  return nextOf(endpoints);
}

void MasterLocator::locateAsync(EventLoop& loop, std::function<void(const std::string&)> done) {
  if (!etcd_) {
    loop.post([alive = alive_, done = std::move(done), endpoint = locate()] {
      if (*alive) done(endpoint);
    });
    return;
  }
  if (looking_.exchange(true)) return;
  if (lookup_.joinable()) lookup_.join();  // the last lookup, which has ended
  lookup_ = std::thread([this, &loop, done = std::move(done)] {
    std::string endpoint = locate();
    loop.post([this, alive = alive_, done, endpoint] {
      if (!*alive) return;
      looking_ = false;
      done(endpoint);
    });
  });
}

void MasterLocator::redirected(const std::string& endpoint) {
  std::lock_guard<std::mutex> lock(mutex_);
  redirect_ = endpoint;
}

}  // namespace agora
