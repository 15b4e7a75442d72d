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

EventLog::EventLog(Journal& journal, Clock& clock, size_t capacity)
    : journal_(journal), clock_(clock), feed_(capacity, [&clock](uint64_t lastEventId, uint64_t first) {
        json lost = {{"eventType", "events_lost"}, {"timestamp", isoTime(clock.wallSeconds())},
                     {"lastEventId", lastEventId}, {"firstAvailableId", first},
                     {"message", "events after " + std::to_string(lastEventId) + " up to " + std::to_string(first - 1) +
                                     " are no longer kept; read the state again (GET /v2/apps?embed=apps.tasks)"}};
        return sseEvent("events_lost", lost.dump());
      }) {}

namespace {
std::string text(const json& event) { return event.dump(-1, ' ', false, json::error_handler_t::replace); }
}  // namespace

Status EventLog::load() {
  Try<std::map<std::string, json>> stored = journal_.scan("event/");
  if (stored.isError()) return Error(stored.error());
  for (auto& [k, event] : *stored) {
    uint64_t id = std::stoull(k.substr(6));
    feed_.retain(id, event.value("eventType", ""), text(event));
    feed_.release(id);
  }
  // Ids go on from the last one given, even if no event is kept.
  Try<std::optional<std::string>> last = journal_.get("event-last-id");
  if (last.isError()) return Error(last.error());
  if (*last) {
    json stored = json::parse(**last, nullptr, false);
    if (stored.is_number_unsigned()) feed_.startAt(stored.get<uint64_t>() + 1);
  }
  return Status::OK();
}

void EventLog::publish(const std::string& type, json payload) {
  payload["eventType"] = type;
  payload["timestamp"] = isoTime(clock_.wallSeconds());
  uint64_t id = feed_.nextId();
  journal_.put(key(id), payload);
  journal_.put("event-last-id", id);
  for (uint64_t dropped : feed_.retain(id, type, text(payload))) journal_.remove(key(dropped));
  journal_.then([this, id] { feed_.release(id); });
}

std::shared_ptr<HttpStream> EventLog::subscribe(std::optional<uint64_t> lastEventId, std::set<std::string> types) {
  return feed_.subscribe(lastEventId, std::move(types));
}

std::vector<std::pair<uint64_t, json>> EventLog::since(uint64_t afterId) const {
  std::vector<std::pair<uint64_t, json>> out;
  for (const EventFeed::Event& e : feed_.kept())
    if (e.id > afterId) out.emplace_back(e.id, json::parse(e.data));
  return out;
}

}  // namespace agora::marathon
