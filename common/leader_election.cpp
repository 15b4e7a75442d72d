#include "common/leader_election.hpp"

#include <algorithm>

#include <glog/logging.h>
#include <nlohmann/json.hpp>

namespace agora {

namespace {

int64_t steadyNanos(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

std::string electionRoot(const EtcdClient& etcd, const std::string& name) { return etcd.target().prefix + "/" + name; }

}  // namespace

std::string ElectionMember::toJson() const { return nlohmann::json({{"id", id}, {"zmq", zmq}, {"http", http}}).dump(); }

Try<ElectionMember> ElectionMember::fromJson(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("id") || !j["id"].is_string())
    return Error("not an election member: " + text.substr(0, 200));
  return ElectionMember{j["id"].get<std::string>(), j.value("zmq", ""), j.value("http", "")};
}

Try<std::optional<ElectionMember>> findLeader(const EtcdClient& etcd, const std::string& name) {
  Try<std::vector<EtcdKeyValue>> kvs = etcd.range(electionRoot(etcd, name) + "/leader");
  if (kvs.isError()) return Error(kvs.error());
  if (kvs->empty()) return std::optional<ElectionMember>();
  Try<ElectionMember> leader = ElectionMember::fromJson(kvs->front().value);
  if (leader.isError()) return Error(leader.error());
  return std::optional<ElectionMember>(*leader);
}

Try<std::vector<ElectionMember>> findMembers(const EtcdClient& etcd, const std::string& name) {
  Try<std::vector<EtcdKeyValue>> kvs = etcd.range(electionRoot(etcd, name) + "/members/", true);
  if (kvs.isError()) return Error(kvs.error());
  std::vector<ElectionMember> members;
  for (const EtcdKeyValue& kv : *kvs) {
    Try<ElectionMember> m = ElectionMember::fromJson(kv.value);
    if (m.ok()) members.push_back(*m);
  }
  return members;
}

LeaderElection::LeaderElection(EventLoop& loop, EtcdTarget target, ElectionOptions options, ElectionMember me,
                               Events events)
    // A call that takes longer than a renewal interval is as good as failed.
    : loop_(loop),
      etcd_(std::move(target), std::max<std::chrono::milliseconds>(options.ttl / 3, std::chrono::milliseconds(100))),
      options_(std::move(options)),
      me_(std::move(me)),
      events_(std::move(events)) {}

LeaderElection::~LeaderElection() {
  *alive_ = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void LeaderElection::start() {
  thread_ = std::thread([this] { run(); });
}

std::string LeaderElection::leaderKey() const { return electionRoot(etcd_, options_.name) + "/leader"; }

bool LeaderElection::leading() const {
  return leading_.load() && steadyNanos(std::chrono::steady_clock::now()) < leadingUntil_.load();
}

std::optional<ElectionMember> LeaderElection::leader() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return leader_;
}

std::vector<ElectionMember> LeaderElection::members() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return members_;
}

void LeaderElection::resign() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  leading_ = false;
  if (lease_ == 0) return;
  Status revoked = etcd_.revoke(lease_);
  if (revoked.ok()) LOG(INFO) << "Resigned from " << options_.name << " election (lease revoked)";
  else LOG(WARNING) << "Could not revoke the " << options_.name << " lease; it ends within "
                    << options_.ttl.count() << " ms: " << revoked.error();
  lease_ = 0;
}

void LeaderElection::run() {
  while (true) {
    round();
    std::unique_lock<std::mutex> lock(mutex_);
    if (wake_.wait_for(lock, tick(), [this] { return stopping_ || ended_; })) return;
  }
}

void LeaderElection::round() {
  // Past the deadline the lease may have ended and another may lead: even if etcd answers
  // again now, this term is over (and the owner has already stopped acting).
  if (leading_ && !leading()) {
    stepDown("etcd could not be reached to renew the lease for 2/3 of its TTL");
    return;
  }
  if (!ensureLease()) {
    if (leading_ && !leading()) stepDown("etcd could not be reached to renew the lease for 2/3 of its TTL");
    return;
  }
  if (leading_) keepLeading();
  else campaign();
  Try<std::vector<ElectionMember>> members = findMembers(etcd_, options_.name);
  if (members.ok()) {
    std::lock_guard<std::mutex> lock(mutex_);
    members_ = std::move(*members);
  }
}

bool LeaderElection::ensureLease() {
  auto asked = std::chrono::steady_clock::now();
  int64_t ttlSeconds = std::max<int64_t>(1, std::chrono::ceil<std::chrono::seconds>(options_.ttl).count());
  if (lease_ == 0) {
    Try<int64_t> lease = etcd_.grantLease(ttlSeconds);
    if (lease.isError()) {
      LOG_EVERY_N(WARNING, 20) << "Cannot get a lease from etcd for the " << options_.name << " election: " << lease.error();
      return false;
    }
    lease_ = *lease;
    renewedAt_ = asked;
    Status joined = etcd_.put(electionRoot(etcd_, options_.name) + "/members/" + me_.id, me_.toJson(), lease_);
    if (!joined.ok()) LOG(WARNING) << "Cannot publish this candidate in etcd: " << joined.error();
    return true;
  }
  Try<int64_t> ttl = etcd_.keepAlive(lease_);
  if (ttl.isError()) {
    LOG_EVERY_N(WARNING, 10) << "Cannot renew the " << options_.name << " lease: " << ttl.error();
    return false;
  }
  if (*ttl == 0) {
    lease_ = 0;
    if (leading_) stepDown("the lease expired in etcd");
    return false;
  }
  if (leading_ && !leading()) {
    // Renewed, but too late: the owner has stopped acting already, and that term is over.
    stepDown("the lease was renewed only after 2/3 of its TTL");
    return false;
  }
  renewedAt_ = asked;
  if (leading_) leadingUntil_ = steadyNanos(renewedAt_ + options_.ttl * 2 / 3);
  return true;
}

void LeaderElection::campaign() {
  Try<bool> won = etcd_.txn({{leaderKey(), std::nullopt}}, {{leaderKey(), myValue(), lease_}});
  if (won.isError()) return;
  Try<std::vector<EtcdKeyValue>> kvs = etcd_.range(leaderKey());
  if (kvs.isError()) return;
  if (*won) {
    term_ = kvs->empty() ? 0 : kvs->front().createRevision;
    leadingUntil_ = steadyNanos(renewedAt_ + options_.ttl * 2 / 3);
    leading_ = true;
    LOG(INFO) << "Elected to lead " << options_.name << " (term " << term_ << ")";
    observe(me_);
    loop_.post([this, alive = alive_, term = term_.load()] {
      if (*alive && events_.elected) events_.elected(term);
    });
    return;
  }
  std::optional<ElectionMember> leader;
  if (!kvs->empty()) {
    Try<ElectionMember> m = ElectionMember::fromJson(kvs->front().value);
    if (m.ok()) leader = *m;
    term_ = kvs->front().createRevision;
  }
  observe(leader);
}

void LeaderElection::keepLeading() {
  Try<std::vector<EtcdKeyValue>> kvs = etcd_.range(leaderKey());
  if (kvs.isError()) {
    if (!leading()) stepDown("etcd could not be reached to confirm the leader key");
    return;
  }
  if (kvs->empty() || kvs->front().value != myValue())
    stepDown(kvs->empty() ? "the leader key is gone from etcd" : "another candidate holds the leader key");
}

void LeaderElection::stepDown(const std::string& why) {
  leading_ = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ended_ = true;
    leader_.reset();
  }
  LOG(WARNING) << "No longer leading " << options_.name << ": " << why;
  loop_.post([this, alive = alive_, why] {
    if (*alive && events_.deposed) events_.deposed(why);
  });
}

void LeaderElection::observe(const std::optional<ElectionMember>& leader) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (leader == leader_) return;
    leader_ = leader;
  }
  if (leader) ++leaderChanges_;
  loop_.post([this, alive = alive_, leader] {
    if (*alive && events_.leaderChanged) events_.leaderChanged(leader);
  });
}

}  // namespace agora
