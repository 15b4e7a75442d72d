#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <unordered_map>

#include <glog/logging.h>
#include <zmq.hpp>

#include "common/codec.hpp"
#include "common/event_loop.hpp"
#include "common/master_locator.hpp"
#include "common/transport.hpp"
#include "frameworks/sdk/framework_id_file.hpp"
#include "frameworks/sdk/scheduler.hpp"
#include "frameworks/sdk/seen_updates.hpp"

namespace agora::sdk {

class SchedulerDriver::Impl {
 public:
  Impl(SchedulerDriver& driver, Scheduler& scheduler, FrameworkInfo framework, std::string master,
       EventLoop* loop, DriverOptions options)
      : driver_(driver),
        scheduler_(scheduler),
        framework_(std::move(framework)),
        master_(std::move(master)),
        options_(std::move(options)),
        ownClock_(loop ? nullptr : std::make_unique<RealClock>()),
        ownLoop_(loop ? nullptr : std::make_unique<EventLoop>(*ownClock_)),
        loop_(loop ? *loop : *ownLoop_),
        context_(1),
        masterTimeout_(seconds(options_.masterTimeoutSeconds)) {}

  ~Impl() { stop(); }

  Status start() {
    Status connected = connect();
    if (!connected.ok()) return connected;
    if (ownLoop_) {
      thread_ = std::thread([this] {
        begin();
        loop_.run();
      });
    } else {
      begin();
    }
    return Status::OK();
  }

  Status run() {
    if (!ownLoop_) return Error("run() is for a driver on its own thread; this one runs on the framework's loop");
    Status connected = connect();
    if (!connected.ok()) return connected;
    {
      std::lock_guard<std::mutex> lock(runMutex_);
      blocking_ = true;
      runThread_ = std::this_thread::get_id();
    }
    begin();
    loop_.run();
    release();
    // Notified under the lock: a stop() that returns may be followed by the driver's end.
    std::lock_guard<std::mutex> lock(runMutex_);
    blocking_ = false;
    runEnded_.notify_all();
    return Status::OK();
  }

  void stop() {
    if (thread_.joinable() && std::this_thread::get_id() == thread_.get_id()) {
      loop_.stop();  // from a callback: the thread ends, and the destructor joins it
      return;
    }
    if (thread_.joinable()) {
      loop_.stop();
      thread_.join();
    }
    {
      std::unique_lock<std::mutex> lock(runMutex_);
      if (blocking_) {
        loop_.stop();  // run() returns, and releases the rest
        // From another thread: the caller may destroy the driver next, so wait for run().
        if (std::this_thread::get_id() != runThread_) runEnded_.wait(lock, [this] { return !blocking_; });
        return;
      }
    }
    release();
  }

  // The loop no longer runs these (its thread ended), or runs on without the driver.
  void release() {
    for (auto id : {subscribeTimer_, watchdogTimer_})
      if (id) loop_.cancel(*id);
    subscribeTimer_.reset();
    watchdogTimer_.reset();
    for (const auto& [taskId, id] : stagingTimers_) loop_.cancel(id);
    stagingTimers_.clear();
    for (EventLoop::TimerId id : droppedTimers_) loop_.cancel(id);
    droppedTimers_.clear();
    socket_.reset();
    locator_.reset();
    connected_ = false;
  }

  // Runs `fn` on the loop: at once on the framework's loop (whose thread the caller is on),
  // queued on the driver's own.
  void onLoop(std::function<void()> fn) {
    if (ownLoop_) {
      loop_.post(std::move(fn));
    } else {
      fn();
    }
  }

  // Sends what `fill` writes into a fresh envelope, on the loop. When it cannot go (not
  // subscribed, when `needsSubscription`, or the queue to the master is full), `dropped`
  // runs with the reason instead; nothing is dropped silently.
  void call(std::function<void(proto::Envelope::Builder, const std::string& frameworkId)> fill,
            std::function<void(const std::string& why)> dropped = nullptr, bool needsSubscription = false) {
    onLoop([this, fill = std::move(fill), dropped = std::move(dropped), needsSubscription] {
      std::string why;
      if (needsSubscription && !connected_) {
        why = "the driver is not subscribed to the master";
      } else {
        OutboundEnvelope out;
        fill(out.get(), frameworkId());
        if (socket_ && socket_->send(out)) return;
        why = "the queue to the master is full (" + std::to_string(options_.sendQueueMessages) +
              " messages; the master is not keeping up)";
      }
      if (!dropped) {
        LOG(WARNING) << "A call to the master was not sent: " << why;
        return;
      }
      // Later, as any update: the caller may be iterating what the callback changes.
      auto id = std::make_shared<EventLoop::TimerId>();
      *id = loop_.after(Duration::zero(), [this, dropped, why, id] {
        droppedTimers_.erase(*id);
        dropped(why);
      });
      droppedTimers_.insert(*id);
    });
  }

  // Tasks whose launch was not sent come back as TASK_DROPPED, as in Mesos' driver.
  void launchDropped(const std::vector<TaskInfo>& tasks, const std::string& why) {
    for (const TaskInfo& task : tasks) {
      auto timer = stagingTimers_.find(task.taskId);
      if (timer != stagingTimers_.end()) {
        loop_.cancel(timer->second);
        stagingTimers_.erase(timer);
      }
      TaskStatus status;
      status.taskId = task.taskId;
      status.frameworkId = frameworkId();
      status.agentId = task.agentId;
      status.state = TaskState::DROPPED;
      status.reason = TaskReason::MASTER_DISCONNECTED;
      status.message = "the launch was not sent: " + why + "; launch the task again on a later offer";
      status.timestamp = loop_.clock().wallSeconds();
      status.labels = task.labels;
      scheduler_.statusUpdate(driver_, status);
    }
  }

  void callDropped(const std::string& what, const std::string& why) {
    scheduler_.error(driver_, what + " was not sent: " + why + "; try again");
  }

  // Starts the staging clock of each task launched (on the loop).
  void launched(const std::vector<TaskInfo>& tasks) {
    if (options_.stagingTimeoutSeconds <= 0) return;
    onLoop([this, ids = taskIds(tasks)] {
      for (const std::string& id : ids) {
        if (auto old = stagingTimers_.find(id); old != stagingTimers_.end()) loop_.cancel(old->second);
        stagingTimers_[id] = loop_.after(seconds(options_.stagingTimeoutSeconds), [this, id] { stagingExpired(id); });
      }
    });
  }

  void acknowledge(const TaskStatus& status) {
    if (status.uuid.empty()) return;
    onLoop([this, status] {
      seen_.markAcknowledged(status.uuid);
      sendAcknowledgement(status);
    });
  }

  std::string frameworkId() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return framework_.id;
  }
  bool connected() const { return connected_.load(); }

 private:
  static std::vector<std::string> taskIds(const std::vector<TaskInfo>& tasks) {
    std::vector<std::string> ids;
    for (const TaskInfo& t : tasks) ids.push_back(t.taskId);
    return ids;
  }

  Status connect() {
    if (socket_) return Error("the driver is already started");
    if (!options_.frameworkIdFile.empty() && frameworkId().empty()) {
      auto kept = FrameworkIdFile(options_.frameworkIdFile).load();
      if (kept.isError()) return Error(kept.error());
      if (*kept) {
        std::lock_guard<std::mutex> lock(mutex_);
        framework_.id = **kept;
      }
    }
    Try<std::unique_ptr<MasterLocator>> locator = MasterLocator::make(master_);
    if (locator.isError()) return Error("master '" + master_ + "': " + locator.error());
    locator_ = std::move(*locator);
    socket_ = std::make_unique<MessageSocket>(context_, loop_, MessageSocket::Kind::kDealer);
    socket_->setQueueLimits(std::max(1, options_.sendQueueMessages), 100000);
    socket_->onMessage([this](const std::string&, proto::Envelope::Reader m) { onMessage(m); });
    if (options_.curve) socket_->useCurve(*options_.curve);
    socket_->onRefused([this](const std::string& why) {
      LOG(ERROR) << why;
      scheduler_.error(driver_, why);
    });
    lastRelocation_ = loop_.clock().now();
    // The first lookup may wait on etcd (once, at start); later ones leave the loop.
    std::string endpoint = locator_->locate();
    return endpoint.empty() ? Status::OK() : socket_->connect(endpoint);
  }

  // Looks for the leading master (the next of a list, or the leader etcd names).
  void relocate() {
    lastRelocation_ = loop_.clock().now();
    locator_->locateAsync(loop_, [this](const std::string& endpoint) { moveTo(endpoint); });
  }

  void moveTo(const std::string& endpoint) {
    if (!socket_ || endpoint.empty() || endpoint == socket_->endpoint()) return;
    Status moved = socket_->switchTo(endpoint);
    if (!moved.ok()) {
      LOG(WARNING) << moved.error();
      return;
    }
    LOG(INFO) << "Looking for the leading master at " << endpoint;
    if (!connected_) subscribe();
  }

  void onRedirect(proto::Redirect::Reader r) {
    if (connected_) {
      LOG(WARNING) << "Framework " << frameworkId() << ": " << r.getMessage().cStr();
      connected_ = false;
      scheduler_.disconnected(driver_);
    }
    // Without a leader named, the subscription tick asks again (and the standby names one
    // once there is one).
    moveTo(r.getZmq());
  }

  void begin() {
    subscribeTick();
    watchdog();
  }

  void send(OutboundEnvelope& out) {
    if (socket_ && !socket_->endpoint().empty()) socket_->send(out);  // else no master is known yet
  }

  void subscribe() {
    OutboundEnvelope out;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      codec::write(framework_, out.get().initSubscribe().initFramework());
    }
    send(out);
  }

  void subscribeTick() {
    if (!connected_) {
      // The master it tries says nothing (gone, or never there): look again.
      TimePoint now = loop_.clock().now();
      Duration patience = seconds(2 * options_.subscribeRetrySeconds);
      if (now - lastHeard_ >= patience && now - lastRelocation_ >= patience) relocate();
      subscribe();
    }
    subscribeTimer_ = loop_.after(seconds(options_.subscribeRetrySeconds), [this] { subscribeTick(); });
  }

  void watchdog() {
    if (connected_ && loop_.clock().now() - lastHeard_ > masterTimeout_) lost("no ping from the master");
    watchdogTimer_ = loop_.after(std::max<Duration>(masterTimeout_ / 10, std::chrono::milliseconds(10)),
                                 [this] { watchdog(); });
  }

  void lost(const std::string& why) {
    LOG(WARNING) << "Framework " << frameworkId() << " lost the master (" << why << "); re-subscribing";
    connected_ = false;
    scheduler_.disconnected(driver_);
    relocate();
    subscribe();
  }

  void onMessage(proto::Envelope::Reader m) {
    lastHeard_ = loop_.clock().now();
    switch (m.which()) {
      case proto::Envelope::SUBSCRIBED: onSubscribed(m.getSubscribed()); return;
      case proto::Envelope::PING: {
        if (!connected_) return;
        if (m.getPing().getMasterId() != masterId_) {
          lost("a different master is pinging");
          return;
        }
        OutboundEnvelope out;
        out.get().initPong().setSequence(m.getPing().getSequence());
        send(out);
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
      case proto::Envelope::AGENT_LOST: scheduler_.agentLost(driver_, m.getAgentLost().getAgentId()); return;
      case proto::Envelope::REREGISTER_REQUIRED:
        if (connected_) lost(m.getReregisterRequired().getMessage());
        return;
      case proto::Envelope::REDIRECT: onRedirect(m.getRedirect()); return;
      default:
        LOG(WARNING) << "Ignoring unexpected message '" << envelopeKind(m) << "' from the master";
    }
  }

  void onSubscribed(proto::Subscribed::Reader s) {
    if (connected_) return;  // a retried subscription's second answer
    std::string id = s.getFrameworkId();
    if (!options_.frameworkIdFile.empty() && id != frameworkId()) {
      // Kept before anything is done as this framework: a restart must come back as it.
      Status kept = FrameworkIdFile(options_.frameworkIdFile).save(id);
      if (!kept.ok()) {
        // Acting as a framework whose id a restart would not know orphans its tasks: stay
        // unsubscribed; the subscription is retried, and the write with it.
        LOG(ERROR) << kept.error() << "; subscribing again shortly";
        scheduler_.error(driver_, kept.error() + "; subscribing again shortly");
        return;
      }
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      framework_.id = id;
    }
    masterId_ = s.getMasterId();
    if (s.getPingIntervalSeconds() > 0 && s.getMaxMissedPings() > 0)
      masterTimeout_ = seconds(s.getPingIntervalSeconds() * s.getMaxMissedPings());
    connected_ = true;
    scheduler_.registered(driver_, id, s.getReregistered());
    reconcileAfterSubscribing();
  }

  // What happened while the framework was away: first the tasks it names (the master
  // answers TASK_UNKNOWN for any it does not know), then everything the master knows.
  void reconcileAfterSubscribing() {
    std::vector<std::string> known = scheduler_.knownTaskIds();
    for (size_t from = 0; from < known.size(); from += codec::kMaxTasksPerCall) {
      size_t n = std::min(known.size() - from, codec::kMaxTasksPerCall);
      OutboundEnvelope out;
      auto r = out.get().initReconcile();
      r.setFrameworkId(frameworkId());
      auto list = r.initTasks(static_cast<unsigned>(n));
      for (size_t i = 0; i < n; ++i) list[static_cast<unsigned>(i)].setTaskId(known[from + i]);
      send(out);
    }
    OutboundEnvelope implicit;
    implicit.get().initReconcile().setFrameworkId(frameworkId());
    send(implicit);
  }

  void onUpdate(const TaskStatus& status) {
    if (status.state != TaskState::STAGING) {
      if (auto t = stagingTimers_.find(status.taskId); t != stagingTimers_.end()) {
        loop_.cancel(t->second);
        stagingTimers_.erase(t);
      }
    }
    if (status.uuid.empty()) {
      scheduler_.statusUpdate(driver_, status);
      return;
    }
    switch (seen_.insert(status.uuid)) {
      case SeenUpdates::kNew:
        scheduler_.statusUpdate(driver_, status);
        if (!options_.explicitAcknowledgements) acknowledge(status);
        return;
      case SeenUpdates::kAcknowledged:
        sendAcknowledgement(status);  // the agent resent it: our acknowledgement was lost
        return;
      case SeenUpdates::kDelivered:
        return;  // the framework has it and acknowledges it when it has persisted it
    }
  }

  void sendAcknowledgement(const TaskStatus& status) {
    OutboundEnvelope out;
    auto ack = out.get().initAcknowledge();
    ack.setFrameworkId(frameworkId());
    ack.setAgentId(status.agentId);
    ack.setTaskId(status.taskId);
    ack.setUuid(status.uuid);
    send(out);
  }

  void stagingExpired(const std::string& taskId) {
    stagingTimers_.erase(taskId);
    LOG(WARNING) << "Task " << taskId << " did not start within " << options_.stagingTimeoutSeconds
                 << " s of its launch: killing it";
    OutboundEnvelope out;
    auto kill = out.get().initKill();
    kill.setFrameworkId(frameworkId());
    kill.setTaskId(taskId);
    send(out);
  }

  SchedulerDriver& driver_;
  Scheduler& scheduler_;
  mutable std::mutex mutex_;  // guards framework_, which frameworkId() reads from other threads
  FrameworkInfo framework_;
  std::string master_;
  DriverOptions options_;
  std::unique_ptr<RealClock> ownClock_;
  std::unique_ptr<EventLoop> ownLoop_;
  std::atomic<bool> blocking_{false};  // run() is running the loop on its caller's thread
  std::mutex runMutex_;                 // with runEnded_: stop() from elsewhere waits for run()
  std::condition_variable runEnded_;
  std::thread::id runThread_;
  EventLoop& loop_;
  zmq::context_t context_;
  std::unique_ptr<MessageSocket> socket_;
  // After the loop: its lookups post there until it goes.
  std::unique_ptr<MasterLocator> locator_;
  TimePoint lastRelocation_{};
  std::thread thread_;
  std::atomic<bool> connected_{false};
  std::string masterId_;
  TimePoint lastHeard_;
  Duration masterTimeout_;
  SeenUpdates seen_;
  std::set<EventLoop::TimerId> droppedTimers_;  // answers to dropped calls, not yet delivered
  std::optional<EventLoop::TimerId> subscribeTimer_, watchdogTimer_;
  std::unordered_map<std::string, EventLoop::TimerId> stagingTimers_;
};

SchedulerDriver::SchedulerDriver(Scheduler& scheduler, FrameworkInfo framework, std::string master,
                                 DriverOptions options)
    : impl_(std::make_unique<Impl>(*this, scheduler, std::move(framework), std::move(master), nullptr,
                                   std::move(options))) {}

SchedulerDriver::SchedulerDriver(Scheduler& scheduler, FrameworkInfo framework, std::string master, EventLoop& loop,
                                 DriverOptions options)
    : impl_(std::make_unique<Impl>(*this, scheduler, std::move(framework), std::move(master), &loop,
                                   std::move(options))) {}

SchedulerDriver::~SchedulerDriver() = default;

Status SchedulerDriver::start() { return impl_->start(); }
Status SchedulerDriver::run() { return impl_->run(); }
void SchedulerDriver::stop() { impl_->stop(); }
std::string SchedulerDriver::frameworkId() const { return impl_->frameworkId(); }
bool SchedulerDriver::connected() const { return impl_->connected(); }
void SchedulerDriver::acknowledge(const TaskStatus& status) { impl_->acknowledge(status); }

static void setIds(capnp::List<capnp::Text>::Builder list, const std::vector<std::string>& ids) {
  for (unsigned i = 0; i < ids.size(); ++i) list.set(i, ids[i]);
}

void SchedulerDriver::launchTasks(const std::vector<std::string>& offerIds, const std::vector<TaskInfo>& tasks,
                                  double refuseSeconds) {
  acceptOffers(offerIds, {Operation::launch(tasks)}, refuseSeconds);
}

void SchedulerDriver::acceptOffers(const std::vector<std::string>& offerIds, const std::vector<Operation>& operations,
                                   double refuseSeconds) {
  // First: a launch dropped at once also stops the staging clock it started.
  for (const Operation& op : operations)
    if (op.type == Operation::Type::kLaunch) impl_->launched(op.tasks);
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
  }, [this, operations](const std::string& why) {
    for (const Operation& op : operations)
      if (op.type == Operation::Type::kLaunch) impl_->launchDropped(op.tasks, why);
  }, true);
}

void SchedulerDriver::declineOffer(const std::string& offerId, double refuseSeconds) {
  impl_->call([=](proto::Envelope::Builder e, const std::string& fwId) {
    auto decline = e.initDecline();
    decline.setFrameworkId(fwId);
    setIds(decline.initOfferIds(1), {offerId});
    decline.initFilters().setRefuseSeconds(refuseSeconds);
  });
}

void SchedulerDriver::killTask(const std::string& taskId, std::optional<double> gracePeriodSeconds) {
  impl_->call([=](proto::Envelope::Builder e, const std::string& fwId) {
    auto kill = e.initKill();
    kill.setFrameworkId(fwId);
    kill.setTaskId(taskId);
    kill.setGracePeriodSeconds(gracePeriodSeconds.value_or(-1));
  }, [this, taskId](const std::string& why) { impl_->callDropped("the kill of task " + taskId, why); });
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

}  // namespace agora::sdk
