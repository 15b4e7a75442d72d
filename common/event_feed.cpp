#include "common/event_feed.hpp"

#include <algorithm>

namespace agora {

std::vector<uint64_t> EventFeed::retain(uint64_t id, std::string type, std::string data) {
  kept_.push_back({id, std::move(type), std::move(data)});
  nextId_ = id + 1;
  std::vector<uint64_t> dropped;
  while (kept_.size() > capacity_) {
    dropped.push_back(kept_.front().id);
    kept_.pop_front();
  }
  return dropped;
}

void EventFeed::startAt(uint64_t id) {
  nextId_ = std::max(nextId_, id);
  if (id > 0) sentId_ = std::max(sentId_, id - 1);
}

void EventFeed::release(uint64_t id) {
  // Events are released in order, so the unsent ones are the newest: walk back to them.
  auto first = std::upper_bound(kept_.begin(), kept_.end(), sentId_,
                                [](uint64_t sent, const Event& e) { return sent < e.id; });
  for (auto it = first; it != kept_.end() && it->id <= id; ++it) send(*it);
  sentId_ = std::max(sentId_, id);
}

void EventFeed::publish(uint64_t id, std::string type, std::string data) {
  retain(id, std::move(type), std::move(data));
  release(id);
}

void EventFeed::send(const Event& event) {
  if (subscribers_.empty()) return;
  std::string chunk = sseEvent(event.type, event.data, event.id);
  std::erase_if(subscribers_, [&](Subscriber& s) {
    return s.wants(event.type) ? !s.stream->write(chunk) : !s.stream->isOpen();
  });
}

void EventFeed::broadcast(const std::string& type, const std::string& data) {
  if (subscribers_.empty()) return;
  std::string chunk = sseEvent(type, data);
  std::erase_if(subscribers_, [&](Subscriber& s) { return s.wants(type) ? !s.stream->write(chunk) : !s.stream->isOpen(); });
}

std::shared_ptr<HttpStream> EventFeed::subscribe(std::optional<uint64_t> lastEventId, std::set<std::string> types) {
  auto stream = std::make_shared<HttpStream>(kStreamBytes, ":\n\n");
  Subscriber subscriber{stream, std::move(types)};
  if (lastEventId) {
    uint64_t first = kept_.empty() ? nextId_ : kept_.front().id;
    // An id at or past the next one is not of this feed (another master's, say): all of what
    // it holds is news to that client.
    bool foreign = *lastEventId >= nextId_;
    std::vector<const Event*> replay;
    size_t bytes = 0;
    for (const Event& e : kept_)
      if ((foreign || e.id > *lastEventId) && e.id <= sentId_ && subscriber.wants(e.type)) {
        replay.push_back(&e);
        bytes += e.data.size() + e.type.size() + 32;
      }
    // A replay that would not fit the stream would close it at once, and the client would
    // come back for the same replay for ever: it is told to read the state again instead.
    if (bytes > kStreamBytes / 2) {
      stream->write(lost_(*lastEventId, replay.back()->id + 1));
      replay.clear();
    } else if (foreign || *lastEventId + 1 < first) {
      stream->write(lost_(*lastEventId, first));
    }
    for (const Event* e : replay) stream->write(sseEvent(e->type, e->data, e->id));
  }
  subscribers_.push_back(std::move(subscriber));
  return stream;
}

}  // namespace agora
