#include "frameworks/marathon-like/events.hpp"

#include <cstdio>

#include "frameworks/marathon-like/instance.hpp"

namespace agora::marathon {

using nlohmann::json;

std::string EventLog::key(uint64_t id) {
  char buf[32];
  snprintf(buf, sizeof buf, "event/%020llu", static_cast<unsigned long long>(id));
  return buf;
}

Status EventLog::load() {
  Try<std::map<std::string, json>> stored = journal_.scan("event/");
  if (stored.isError()) return Error(stored.error());
  for (auto& [k, event] : *stored) {
    uint64_t id = std::stoull(k.substr(6));
    retained_.emplace_back(id, std::move(event));
    nextId_ = id + 1;
    sentId_ = id;
  }
  // Ids go on from the last one given, even if no event is kept.
  Try<std::optional<std::string>> last = journal_.get("event-last-id");
  if (last.isError()) return Error(last.error());
  if (*last) {
    json stored = json::parse(**last, nullptr, false);
    if (stored.is_number_unsigned()) {
      nextId_ = std::max(nextId_, stored.get<uint64_t>() + 1);
      sentId_ = std::max(sentId_, stored.get<uint64_t>());
    }
  }
  return Status::OK();
}

void EventLog::publish(const std::string& type, json payload) {
  payload["eventType"] = type;
  payload["timestamp"] = isoTime(clock_.wallSeconds());
  uint64_t id = nextId_++;
  journal_.put(key(id), payload);
  journal_.put("event-last-id", id);
  retained_.emplace_back(id, payload);
  while (retained_.size() > capacity_) {
    journal_.remove(key(retained_.front().first));
    retained_.pop_front();
  }
  std::string data = payload.dump(-1, ' ', false, json::error_handler_t::replace);
  journal_.then([this, id, type, data] { send(id, type, data); });
}

void EventLog::send(uint64_t id, const std::string& type, const std::string& data) {
  sentId_ = id;
  std::string chunk = sseEvent(type, data, id);
  std::erase_if(subscribers_, [&](Subscriber& s) { return s.wants(type) ? !s.stream->write(chunk) : !s.stream->isOpen(); });
}

std::shared_ptr<HttpStream> EventLog::subscribe(std::optional<uint64_t> lastEventId, std::set<std::string> types) {
  auto stream = std::make_shared<HttpStream>(8 << 20, ":\n\n");
  Subscriber subscriber{stream, std::move(types)};
  if (lastEventId) {
    uint64_t first = retained_.empty() ? nextId_ : retained_.front().first;
    if (*lastEventId + 1 < first) {
      json lost = {{"eventType", "events_lost"}, {"timestamp", isoTime(clock_.wallSeconds())},
                   {"lastEventId", *lastEventId}, {"firstAvailableId", first},
                   {"message", "events after " + std::to_string(*lastEventId) + " up to " + std::to_string(first - 1) +
                                   " are no longer kept; read the state again (GET /v2/apps?embed=apps.tasks)"}};
      stream->write(sseEvent("events_lost", lost.dump()));
    }
    for (const auto& [id, event] : retained_) {
      std::string type = event.value("eventType", "");
      if (id > *lastEventId && id <= sentId_ && subscriber.wants(type))
        stream->write(sseEvent(type, event.dump(-1, ' ', false, json::error_handler_t::replace), id));
    }
  }
  subscribers_.push_back(std::move(subscriber));
  return stream;
}

std::vector<std::pair<uint64_t, json>> EventLog::since(uint64_t afterId) const {
  std::vector<std::pair<uint64_t, json>> out;
  for (const auto& e : retained_)
    if (e.first > afterId) out.push_back(e);
  return out;
}

}  // namespace agora::marathon
