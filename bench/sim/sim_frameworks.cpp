#include "bench/sim/sim_frameworks.hpp"

#include <algorithm>

#include <glog/logging.h>

#include "common/codec.hpp"
#include "common/ids.hpp"

namespace agora::sim {
namespace {

void setIds(capnp::List<capnp::Text>::Builder list, const std::vector<std::string>& ids) {
  for (unsigned i = 0; i < ids.size(); ++i) list.set(i, ids[i]);
}

}  // namespace

FrameworkFleet::FrameworkFleet(DealerSet& sockets, FrameworkFleetOptions options)
    : sockets_(sockets), options_(std::move(options)) {}

Status FrameworkFleet::start() {
  frameworks_.resize(static_cast<size_t>(options_.count));
  for (uint32_t i = 0; i < frameworks_.size(); ++i) {
    auto socket = sockets_.add(options_.endpoint, "sim-framework-" + std::to_string(i) + "-" + newUuid(),
                                   [this, i](proto::Envelope::Reader m) { onMessage(i, m); });
    if (socket.isError()) return Error(socket.error());
    frameworks_[i].socket = *socket;
    subscribe(i);
  }
  lastTick_ = SteadyClock::now();
  return Status::OK();
}

void FrameworkFleet::subscribe(uint32_t index) {
  FrameworkInfo info;
  info.id = frameworks_[index].id;  // set when subscribing again
  info.name = "sim-framework-" + std::to_string(index);
  info.roles = options_.roles;
  info.failoverTimeoutSeconds = 600;
  OutboundEnvelope out;
  codec::write(info, out.get().initSubscribe().initFramework());
  sockets_.send(frameworks_[index].socket, out);
}

void FrameworkFleet::followLeader() {
  for (uint32_t i = 0; i < frameworks_.size(); ++i) {
    Framework& fw = frameworks_[i];
    if (!sockets_.closed(fw.socket) && fw.redirectTo.empty()) continue;
    std::string to = fw.redirectTo;
    if (to.empty()) {
      fw.master = (fw.master + 1) % options_.masters.size();
      to = options_.masters[fw.master];
    }
    fw.redirectTo.clear();
    fw.offers.clear();
    fw.offersByAgent.clear();
    fw.order.clear();
    Status moved = sockets_.retarget(fw.socket, to);
    if (!moved.ok()) LOG(WARNING) << moved.error();
    subscribe(i);
  }
}

void FrameworkFleet::onMessage(uint32_t index, proto::Envelope::Reader message) {
  Framework& fw = frameworks_[index];
  switch (message.which()) {
    case proto::Envelope::SUBSCRIBED:
      if (fw.id.empty()) ++subscribed_;
      lastSubscribedAt_ = SteadyClock::now();
      fw.id = message.getSubscribed().getFrameworkId();
      return;
    case proto::Envelope::REDIRECT:
      fw.redirectTo = message.getRedirect().getZmq();
      // No leader yet: ask again shortly (the standby answers with one once there is one).
      if (fw.redirectTo.empty()) fw.resubscribeAt = SteadyClock::now() + std::chrono::milliseconds(200);
      return;
    case proto::Envelope::OFFERS:
      for (auto o : message.getOffers().getOffers()) {
        Try<Resources> resources = codec::read(o.getResources());
        if (resources.isError()) continue;
        fw.offers[o.getId()] = HeldOffer{o.getAgentId(), *resources};
        fw.offersByAgent[o.getAgentId()].emplace_back(o.getId());
        fw.order.emplace_back(o.getId());
        ++stats_.offersReceived;
        lastOfferAt_ = SteadyClock::now();
      }
      return;
    case proto::Envelope::RESCIND:
      fw.offers.erase(message.getRescind().getOfferId());
      ++stats_.offersRescinded;
      return;
    case proto::Envelope::UPDATE:
      onUpdate(index, message.getUpdate().getStatus());
      return;
    case proto::Envelope::PING: {
      OutboundEnvelope pong;
      pong.get().initPong().setSequence(message.getPing().getSequence());
      sockets_.send(fw.socket, pong);
      return;
    }
    case proto::Envelope::ERROR:
      ++stats_.errors;
      LOG_EVERY_N(WARNING, 100) << "Framework " << index << " got an error from the master: "
                                << message.getError().getMessage().cStr();
      return;
    default:
      return;
  }
}

void FrameworkFleet::onUpdate(uint32_t index, proto::TaskStatus::Reader status) {
  Framework& fw = frameworks_[index];
  std::string taskId = status.getTaskId();
  TaskState state = status.getState();
  auto accepted = acceptedAt_.find(taskId);
  bool wasInFlight = accepted != acceptedAt_.end();
  if (state == TaskState::RUNNING) {
    // Only the first: an agent that re-registers reports its running tasks again.
    if (wasInFlight) {
      ++stats_.tasksRunning;
      launchMillis_.push_back(
          std::chrono::duration<double, std::milli>(SteadyClock::now() - accepted->second).count());
    }
  } else if (state == TaskState::FINISHED) {
    ++stats_.tasksFinished;
  } else if (isTerminal(state)) {
    ++stats_.tasksFailed;
    LOG_EVERY_N(WARNING, 100) << "Task " << taskId << " ended in " << stateName(state) << ": "
                              << status.getMessage().cStr();
  }
  if (wasInFlight && (state == TaskState::RUNNING || isTerminal(state))) {
    acceptedAt_.erase(accepted);
    --inFlight_;
  }
  if (status.getUuid().size() == 0) return;
  OutboundEnvelope out;
  auto ack = out.get().initAcknowledge();
  ack.setFrameworkId(fw.id);
  ack.setAgentId(status.getAgentId());
  ack.setTaskId(taskId);
  ack.setUuid(status.getUuid());
  sockets_.send(fw.socket, out);
}

void FrameworkFleet::tick(SteadyClock::time_point now) {
  if (!options_.masters.empty() && now - lastFollowScan_ > std::chrono::milliseconds(20)) {
    lastFollowScan_ = now;
    followLeader();
    for (uint32_t i = 0; i < frameworks_.size(); ++i) {
      if (!frameworks_[i].resubscribeAt || *frameworks_[i].resubscribeAt > now) continue;
      frameworks_[i].resubscribeAt.reset();
      subscribe(i);
    }
  }
  double elapsed = std::chrono::duration<double>(now - lastTick_).count();
  lastTick_ = now;
  if (!launching_ || frameworks_.empty()) return;
  int64_t budget = options_.maxInFlight - inFlight_;
  if (options_.launchRate > 0) {
    // A token bucket that holds at most a tenth of a second's worth.
    tokens_ = std::min(tokens_ + elapsed * options_.launchRate, std::max(1.0, options_.launchRate / 10));
    budget = std::min<int64_t>(budget, static_cast<int64_t>(tokens_));
  }
  if (options_.totalTasks > 0)
    budget = std::min<int64_t>(budget, options_.totalTasks - static_cast<int64_t>(stats_.tasksLaunched));
  // Round robin over the frameworks, one agent each, until the budget or the offers run out.
  int idle = 0;
  while (budget > 0 && idle < static_cast<int>(frameworks_.size())) {
    uint32_t index = nextFramework_++ % static_cast<uint32_t>(frameworks_.size());
    int launched = launchOnOneAgent(index, static_cast<int>(std::min<int64_t>(budget, options_.tasksPerOffer)), now);
    idle = launched == 0 ? idle + 1 : 0;
    budget -= launched;
    if (options_.launchRate > 0) tokens_ -= launched;
  }
}

int FrameworkFleet::launchOnOneAgent(uint32_t index, int budget, SteadyClock::time_point now) {
  Framework& fw = frameworks_[index];
  if (fw.id.empty()) return 0;
  std::vector<std::string> offerIds;
  HeldOffer offer;
  while (offerIds.empty() && !fw.order.empty()) {
    std::string id = std::move(fw.order.front());
    fw.order.pop_front();
    auto held = fw.offers.find(id);
    if (held == fw.offers.end()) continue;  // used with another offer of its agent, or rescinded
    // Every offer held for the agent goes into one accept, as a framework that packs tasks
    // does: it holds at most about one offer per agent, and the master as few outstanding.
    offer.agentId = held->second.agentId;
    auto sameAgent = fw.offersByAgent.find(offer.agentId);
    for (const std::string& other : sameAgent->second) {
      auto o = fw.offers.find(other);
      if (o == fw.offers.end()) continue;
      offer.resources += o->second.resources;
      offerIds.push_back(other);
      fw.offers.erase(o);
    }
    fw.offersByAgent.erase(sameAgent);
    if (!offer.resources.contains(options_.taskResources)) {
      decline(fw, offerIds);
      offerIds.clear();
      offer = HeldOffer();
    }
  }
  if (offerIds.empty()) return 0;

  std::vector<TaskInfo> tasks;
  Resources left = offer.resources;
  while (static_cast<int>(tasks.size()) < budget && left.contains(options_.taskResources)) {
    TaskInfo task;
    task.taskId = "f" + std::to_string(index) + "-" + std::to_string(fw.nextTask++);
    task.name = "sim";
    task.agentId = offer.agentId;
    task.resources = options_.taskResources;
    task.command.value = "simulated";
    left -= options_.taskResources;
    tasks.push_back(std::move(task));
  }
  OutboundEnvelope out;
  auto accept = out.get().initAccept();
  accept.setFrameworkId(fw.id);
  setIds(accept.initOfferIds(static_cast<unsigned>(offerIds.size())), offerIds);
  // No filter: what the tasks leave of the offer comes back in the next offers.
  accept.initFilters().setRefuseSeconds(0);
  auto launch = accept.initOperations(1)[0].initLaunch(static_cast<unsigned>(tasks.size()));
  for (unsigned i = 0; i < tasks.size(); ++i) {
    codec::write(tasks[i], launch[i]);
    acceptedAt_[tasks[i].taskId] = now;
  }
  sockets_.send(fw.socket, out);
  ++stats_.accepts;
  stats_.tasksLaunched += tasks.size();
  inFlight_ += static_cast<int64_t>(tasks.size());
  return static_cast<int>(tasks.size());
}

// Offers too small for one task: not again for a second, so that they do not come straight back.
void FrameworkFleet::decline(Framework& fw, const std::vector<std::string>& offerIds) {
  OutboundEnvelope out;
  auto decline = out.get().initDecline();
  decline.setFrameworkId(fw.id);
  setIds(decline.initOfferIds(static_cast<unsigned>(offerIds.size())), offerIds);
  decline.initFilters().setRefuseSeconds(1);
  sockets_.send(fw.socket, out);
  stats_.offersDeclined += offerIds.size();
}

}  // namespace agora::sim
