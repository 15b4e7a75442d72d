#include <deque>
#include <mutex>
#include <unordered_set>

#include <glog/logging.h>
#include <zmq.hpp>

#include "common/codec.hpp"
#include "common/event_loop.hpp"
#include "common/transport.hpp"
#include "frameworks/sdk/scheduler.hpp"

namespace agora::sdk {

// Remembers the uuids of updates already passed to the scheduler, so that a resend (the
// agent did not see the acknowledgement in time) is acknowledged again but not delivered twice.
class SeenUpdates {
 public:
  bool insert(const std::string& uuid) {
    if (!seen_.insert(uuid).second) return false;
    order_.push_back(uuid);
    if (order_.size() > kCapacity) {
      seen_.erase(order_.front());
      order_.pop_front();
    }
    return true;
  }

 private:
  static constexpr size_t kCapacity = 100000;
  std::unordered_set<std::string> seen_;
  std::deque<std::string> order_;
};

class SchedulerDriver::Impl {
 public:
  Impl(SchedulerDriver& driver, Scheduler& scheduler, FrameworkInfo framework, std::string master,
       DriverOptions options)
      : driver_(driver),
        scheduler_(scheduler),
        framework_(std::move(framework)),
        master_(tcpEndpoint(master)),
        options_(options),
        loop_(clock_),
        context_(1),
        socket_(context_, loop_, MessageSocket::Kind::kDealer),
        masterTimeout_(seconds(options.masterTimeoutSeconds)) {
    socket_.onMessage([this](const std::string&, proto::Envelope::Reader m) { onMessage(m); });
  }

  Status start() {
    Status s = socket_.connect(master_);
    if (!s.ok()) return s;
    thread_ = std::thread([this] {
      subscribeTick();
      watchdog();
      loop_.run();
    });
    return Status::OK();
  }

  void stop() {
    if (!thread_.joinable()) return;
    loop_.stop();
    thread_.join();
  }

  // Runs `fn` on the driver thread with a fresh envelope, then sends it.
  template <typename Fill>
  void call(Fill fill) {
    loop_.post([this, fill] {
      OutboundEnvelope out;
      fill(out.get(), frameworkIdLocked());
      socket_.send(out);
    });
  }

  std::string frameworkIdLocked() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return framework_.id;
  }
  bool connected() const { return connected_.load(); }

 private:
  void subscribe() {
    OutboundEnvelope out;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      codec::write(framework_, out.get().initSubscribe().initFramework());
    }
    socket_.send(out);
  }

  void subscribeTick() {
    if (!connected_) subscribe();
    loop_.after(seconds(options_.subscribeRetrySeconds), [this] { subscribeTick(); });
  }

  void watchdog() {
    if (connected_ && loop_.clock().now() - lastHeard_ > masterTimeout_) lost("no ping from the master");
    loop_.after(std::max<Duration>(masterTimeout_ / 10, std::chrono::milliseconds(10)), [this] { watchdog(); });
  }

  void lost(const std::string& why) {
    LOG(WARNING) << "Framework " << frameworkIdLocked() << " lost the master (" << why << "); re-subscribing";
    connected_ = false;
    scheduler_.disconnected(driver_);
    subscribe();
  }

  void onMessage(proto::Envelope::Reader m) {
    lastHeard_ = loop_.clock().now();
    switch (m.which()) {
      case proto::Envelope::SUBSCRIBED: onSubscribed(m.getSubscribed()); return;
      case proto::Envelope::PING: {
        if (!connected_) return;
        if (m.getPing().getMasterId() != masterId_) { lost("a different master is pinging"); return; }
        OutboundEnvelope out;
        out.get().initPong().setSequence(m.getPing().getSequence());
        socket_.send(out);
        return;
      }
      case proto::Envelope::OFFERS: {
        std::vector<Offer> offers;
        for (auto o : m.getOffers().getOffers()) {
          Try<Offer> offer = codec::read(o);
          if (offer.ok()) offers.push_back(*offer);
          else LOG(WARNING) << "Ignoring an unreadable offer: " << offer.error();
        }
        if (!offers.empty()) scheduler_.resourceOffers(driver_, offers);
        return;
      }
      case proto::Envelope::RESCIND: scheduler_.offerRescinded(driver_, m.getRescind().getOfferId()); return;
      case proto::Envelope::UPDATE: onUpdate(codec::read(m.getUpdate().getStatus())); return;
      case proto::Envelope::ERROR: scheduler_.error(driver_, m.getError().getMessage()); return;
      case proto::Envelope::REREGISTER_REQUIRED:
        if (connected_) lost(m.getReregisterRequired().getMessage());
        return;
      default:
        LOG(WARNING) << "Ignoring unexpected message '" << envelopeKind(m) << "' from the master";
    }
  }

  void onSubscribed(proto::Subscribed::Reader s) {
    if (connected_) return;  // a retried subscription's second answer
    {
      std::lock_guard<std::mutex> lock(mutex_);
      framework_.id = s.getFrameworkId();
    }
    masterId_ = s.getMasterId();
    if (s.getPingIntervalSeconds() > 0 && s.getMaxMissedPings() > 0)
      masterTimeout_ = seconds(s.getPingIntervalSeconds() * s.getMaxMissedPings());
    connected_ = true;
    scheduler_.registered(driver_, framework_.id, s.getReregistered());
  }

  void onUpdate(const TaskStatus& status) {
    if (status.uuid.empty() || seen_.insert(status.uuid)) scheduler_.statusUpdate(driver_, status);
    if (status.uuid.empty()) return;
    OutboundEnvelope out;
    auto ack = out.get().initAcknowledge();
    ack.setFrameworkId(frameworkIdLocked());
    ack.setAgentId(status.agentId);
    ack.setTaskId(status.taskId);
    ack.setUuid(status.uuid);
    socket_.send(out);
  }

  SchedulerDriver& driver_;
  Scheduler& scheduler_;
  mutable std::mutex mutex_;  // guards framework_, which frameworkId() reads from other threads
  FrameworkInfo framework_;
  std::string master_;
  DriverOptions options_;
  RealClock clock_;
  EventLoop loop_;
  zmq::context_t context_;
  MessageSocket socket_;
  std::thread thread_;
  std::atomic<bool> connected_{false};
  std::string masterId_;
  TimePoint lastHeard_;
  Duration masterTimeout_;
  SeenUpdates seen_;
};

SchedulerDriver::SchedulerDriver(Scheduler& scheduler, FrameworkInfo framework, std::string master,
                                 DriverOptions options)
    : impl_(std::make_unique<Impl>(*this, scheduler, std::move(framework), std::move(master), options)) {}

SchedulerDriver::~SchedulerDriver() { stop(); }

Status SchedulerDriver::start() { return impl_->start(); }
void SchedulerDriver::stop() { impl_->stop(); }
std::string SchedulerDriver::frameworkId() const { return impl_->frameworkIdLocked(); }
bool SchedulerDriver::connected() const { return impl_->connected(); }

static void setIds(capnp::List<capnp::Text>::Builder list, const std::vector<std::string>& ids) {
  for (unsigned i = 0; i < ids.size(); ++i) list.set(i, ids[i]);
}

void SchedulerDriver::launchTasks(const std::vector<std::string>& offerIds, const std::vector<TaskInfo>& tasks,
                                  double refuseSeconds) {
  acceptOffers(offerIds, {Operation::launch(tasks)}, refuseSeconds);
}

void SchedulerDriver::acceptOffers(const std::vector<std::string>& offerIds, const std::vector<Operation>& operations,
                                   double refuseSeconds) {
  impl_->call([=](proto::Envelope::Builder e, const std::string& fwId) {
    auto accept = e.initAccept();
    accept.setFrameworkId(fwId);
    setIds(accept.initOfferIds(static_cast<unsigned>(offerIds.size())), offerIds);
    auto ops = accept.initOperations(static_cast<unsigned>(operations.size()));
    for (unsigned i = 0; i < operations.size(); ++i) {
      const Operation& op = operations[i];
      switch (op.type) {
        case Operation::Type::kLaunch: {
          auto launch = ops[i].initLaunch(static_cast<unsigned>(op.tasks.size()));
          for (unsigned j = 0; j < op.tasks.size(); ++j) codec::write(op.tasks[j], launch[j]);
          break;
        }
        case Operation::Type::kReserve: AGORA_CODEC_INIT(ops[i], Reserve, op.resources); break;
        case Operation::Type::kUnreserve: AGORA_CODEC_INIT(ops[i], Unreserve, op.resources); break;
      }
    }
    accept.initFilters().setRefuseSeconds(refuseSeconds);
  });
}

void SchedulerDriver::declineOffer(const std::string& offerId, double refuseSeconds) {
  impl_->call([=](proto::Envelope::Builder e, const std::string& fwId) {
    auto decline = e.initDecline();
    decline.setFrameworkId(fwId);
    setIds(decline.initOfferIds(1), {offerId});
    decline.initFilters().setRefuseSeconds(refuseSeconds);
  });
}

void SchedulerDriver::killTask(const std::string& taskId) {
  impl_->call([=](proto::Envelope::Builder e, const std::string& fwId) {
    auto kill = e.initKill();
    kill.setFrameworkId(fwId);
    kill.setTaskId(taskId);
  });
}

void SchedulerDriver::reconcileTasks(const std::vector<std::string>& taskIds) {
  impl_->call([=](proto::Envelope::Builder e, const std::string& fwId) {
    auto r = e.initReconcile();
    r.setFrameworkId(fwId);
    auto list = r.initTasks(static_cast<unsigned>(taskIds.size()));
    for (unsigned i = 0; i < taskIds.size(); ++i) list[i].setTaskId(taskIds[i]);
  });
}

static void frameworkCall(proto::FrameworkCall::Builder call, const std::string& fwId,
                          const std::vector<std::string>& roles) {
  call.setFrameworkId(fwId);
  auto list = call.initRoles(static_cast<unsigned>(roles.size()));
  for (unsigned i = 0; i < roles.size(); ++i) list.set(i, roles[i]);
}

void SchedulerDriver::suppressOffers(const std::vector<std::string>& roles) {
  impl_->call([=](proto::Envelope::Builder e, const std::string& fwId) { frameworkCall(e.initSuppress(), fwId, roles); });
}

void SchedulerDriver::reviveOffers(const std::vector<std::string>& roles) {
  impl_->call([=](proto::Envelope::Builder e, const std::string& fwId) { frameworkCall(e.initRevive(), fwId, roles); });
}

void SchedulerDriver::teardown() {
  impl_->call([](proto::Envelope::Builder e, const std::string& fwId) { e.initTeardown().setFrameworkId(fwId); });
}

std::optional<Resources> takePorts(const Resources& available, int count) {
  Ranges picked;
  int left = count;
  for (const Range& r : available.ranges("ports")) {
    if (left <= 0) break;
    uint64_t n = std::min<uint64_t>(static_cast<uint64_t>(left), r.end - r.begin + 1);
    picked.push_back({r.begin, r.begin + n - 1});
    left -= static_cast<int>(n);
  }
  if (left > 0) return std::nullopt;
  Resources out;
  if (count > 0) (void)out.add(Resource::range("ports", picked));
  return out;
}

}  // namespace agora::sdk
