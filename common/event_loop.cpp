#include "common/event_loop.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <glog/logging.h>

namespace agora {

EventLoop::EventLoop(Clock& clock) : clock_(clock) {
  wakeFd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  PCHECK(wakeFd_ >= 0) << "eventfd";
}

EventLoop::~EventLoop() { close(wakeFd_); }

void EventLoop::watchSocket(void* socket, Callback onReadable) {
  watches_.push_back({socket, -1, std::move(onReadable), ZMQ_POLLIN, nextWatch_++});
}

void EventLoop::unwatchSocket(void* socket) {
  watches_.erase(std::remove_if(watches_.begin(), watches_.end(), [socket](const Watch& w) { return w.socket == socket; }),
                 watches_.end());
}

void EventLoop::watchFd(int fd, Callback onReadable) {
  watches_.push_back({nullptr, fd, std::move(onReadable), ZMQ_POLLIN, nextWatch_++});
}

void EventLoop::watchFdWritable(int fd, Callback onWritable) {
  watches_.push_back({nullptr, fd, std::move(onWritable), ZMQ_POLLOUT, nextWatch_++});
}

void EventLoop::unwatchFd(int fd) {
  watches_.erase(std::remove_if(watches_.begin(), watches_.end(),
                                [fd](const Watch& w) { return w.socket == nullptr && w.fd == fd; }),
                 watches_.end());
}

EventLoop::TimerId EventLoop::after(Duration delay, Callback fn) {
  TimerId id = nextTimer_++;
  TimePoint at = clock_.now() + delay;
  deadlines_.emplace(at, id);
  timers_.emplace(id, std::make_pair(at, std::move(fn)));
  return id;
}

void EventLoop::cancel(TimerId id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  auto range = deadlines_.equal_range(it->second.first);
  for (auto d = range.first; d != range.second; ++d) {
    if (d->second == id) { deadlines_.erase(d); break; }
  }
  timers_.erase(it);
}

void EventLoop::post(Callback fn) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    posted_.push_back(std::move(fn));
  }
  uint64_t one = 1;
  ssize_t n = write(wakeFd_, &one, sizeof one);
  (void)n;  // a full counter still wakes the loop
}

void EventLoop::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  post([] {});
}

void EventLoop::runDueTimers() {
  TimePoint now = clock_.now();
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    TimerId id = deadlines_.begin()->second;
    deadlines_.erase(deadlines_.begin());
    auto it = timers_.find(id);
    if (it == timers_.end()) continue;
    Callback fn = std::move(it->second.second);
    timers_.erase(it);
    fn();
  }
}

void EventLoop::runPosted() {
  uint64_t count;
  while (read(wakeFd_, &count, sizeof count) > 0) {}
  std::deque<Callback> work;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    work.swap(posted_);
  }
  for (auto& fn : work) fn();
}

Duration EventLoop::nextTimeout(Duration cap) const {
  if (deadlines_.empty()) return cap;
  Duration until = deadlines_.begin()->first - clock_.now();
  return std::clamp(until, Duration::zero(), cap);
}

void EventLoop::runOnce(Duration maxWait) {
  runDueTimers();
  runPosted();
  std::vector<zmq_pollitem_t> items;
  items.push_back({nullptr, wakeFd_, ZMQ_POLLIN, 0});
  for (const Watch& w : watches_) items.push_back({w.socket, w.fd, w.events, 0});
  long timeoutMs = static_cast<long>(
      std::chrono::ceil<std::chrono::milliseconds>(nextTimeout(maxWait)).count());
  int rc = zmq_poll(items.data(), static_cast<int>(items.size()), timeoutMs);
  if (rc < 0) {
    if (zmq_errno() != EINTR) LOG(ERROR) << "zmq_poll failed: " << zmq_strerror(zmq_errno());
    return;
  }
  // Callbacks may add or remove watches: note what fired first, and run each callback only if
  // its watch is still there (an earlier one may have destroyed what it belongs to).
  std::vector<uint64_t> fired;
  for (size_t i = 1; i < items.size(); ++i)
    if (items[i].revents & (items[i].events | ZMQ_POLLERR)) fired.push_back(watches_[i - 1].id);
  if (items[0].revents & ZMQ_POLLIN) runPosted();
  for (uint64_t id : fired) {
    auto w = std::find_if(watches_.begin(), watches_.end(), [id](const Watch& x) { return x.id == id; });
    if (w == watches_.end()) continue;
    Callback fn = w->fn;  // a copy: the callback may unwatch itself
    fn();
  }
  runDueTimers();
}

void EventLoop::run() {
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) break;
    }
    runOnce(std::chrono::seconds(1));
  }
  // Work posted before stop() still runs, so that a last message queued by a caller goes out.
  runPosted();
  std::lock_guard<std::mutex> lock(mutex_);
  stopping_ = false;
}

}  // namespace agora
