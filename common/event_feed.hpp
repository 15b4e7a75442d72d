#pragma once
// A server-sent event feed: the last `capacity` events, each with an increasing id, and the
// streams that follow them. A client that reconnects with Last-Event-ID is replayed exactly
// what it missed; one that fell further behind than the feed keeps is told so first (`lost`),
// and knows to read the state again. Loop thread only; the HTTP threads read the streams.
//
// An event may be kept before it is sent (retain, then release): a daemon that persists its
// events sends each only once the change it reports is durable.

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/http_stream.hpp"

namespace agora {

class EventFeed {
 public:
  struct Event {
    uint64_t id;
    std::string type;
    std::string data;  // JSON text
  };
  // The event a client that resumes after `lastEventId` gets when the feed no longer holds
  // what follows it; `firstKept` is the oldest id it holds (or the next, if it holds none).
  using LostEvent = std::function<std::string(uint64_t lastEventId, uint64_t firstKept)>;

  EventFeed(size_t capacity, LostEvent lost) : capacity_(capacity), lost_(std::move(lost)) {}

  // Ids go on from `id` (a restarted daemon's feed goes on from the last id it gave).
  void startAt(uint64_t id);
  uint64_t nextId() const { return nextId_; }

  // Keeps the event for replay without sending it; returns the ids it no longer keeps. Ids
  // must increase.
  std::vector<uint64_t> retain(uint64_t id, std::string type, std::string data);
  // Sends the kept events up to `id` that were not sent yet.
  void release(uint64_t id);
  // retain, then release.
  void publish(uint64_t id, std::string type, std::string data);
  // To the streams open now, without an id: not kept, never replayed (a sample of a gauge).
  void broadcast(const std::string& type, const std::string& data);

  // A stream of the events whose types are in `types` (empty: all), after `lastEventId`
  // (none: from now on).
  std::shared_ptr<HttpStream> subscribe(std::optional<uint64_t> lastEventId, std::set<std::string> types);

  size_t subscribers() const { return subscribers_.size(); }
  // What a client may fall behind by before its stream is closed (it resumes from its last id).
  static constexpr size_t kStreamBytes = 8 << 20;
  const std::deque<Event>& kept() const { return kept_; }

 private:
  struct Subscriber {
    std::shared_ptr<HttpStream> stream;
    std::set<std::string> types;
    bool wants(const std::string& type) const { return types.empty() || types.count(type); }
  };
  void send(const Event& event);

  size_t capacity_;
  LostEvent lost_;
  std::deque<Event> kept_;
  uint64_t sentId_ = 0;  // the newest event sent: a replay goes no further
  uint64_t nextId_ = 1;  // one past the newest id retained
  std::vector<Subscriber> subscribers_;
};

}  // namespace agora
