#pragma once
// The single thread that owns a daemon's state. ZeroMQ sockets, file descriptors, timers
// and work posted from other threads are multiplexed with zmq_poll; every callback runs on
// the loop thread, so domain state needs no locks.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

#include <zmq.h>

#include "common/clock.hpp"

namespace agora {

class EventLoop {
 public:
  using TimerId = uint64_t;
  using Callback = std::function<void()>;

  explicit EventLoop(Clock& clock);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  Clock& clock() { return clock_; }

  // `socket` is a raw ZeroMQ socket handle; `onReadable` must drain what it can.
  void watchSocket(void* socket, Callback onReadable);
  void unwatchSocket(void* socket);
  void watchFd(int fd, Callback onReadable);
  // For a non-blocking connect: called while `fd` is writable (until unwatched).
  void watchFdWritable(int fd, Callback onWritable);
  void unwatchFd(int fd);  // both kinds of watch

  TimerId after(Duration delay, Callback fn);
  void cancel(TimerId id);

  // Thread-safe: runs `fn` on the loop thread soon.
  void post(Callback fn);
  // Thread-safe: makes run() return after the current callback.
  void stop();

  void run();
  // Runs due timers, posted work and at most one poll of at most `maxWait`. For tests.
  void runOnce(Duration maxWait);

 private:
  void runDueTimers();
  void runPosted();
  Duration nextTimeout(Duration cap) const;

  struct Watch {
    void* socket = nullptr;
    int fd = -1;
    Callback fn;
    short events = ZMQ_POLLIN;
    uint64_t id = 0;  // a callback runs only while its own watch is still there
  };
  uint64_t nextWatch_ = 1;

  Clock& clock_;
  int wakeFd_ = -1;
  std::vector<Watch> watches_;
  std::multimap<TimePoint, TimerId> deadlines_;
  std::unordered_map<TimerId, std::pair<TimePoint, Callback>> timers_;
  TimerId nextTimer_ = 1;

  std::mutex mutex_;  // guards posted_ and stopping_ only: they are written by other threads
  std::deque<Callback> posted_;
  bool stopping_ = false;
};

}  // namespace agora
