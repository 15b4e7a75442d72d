#pragma once
// The event stream (/v2/events): Marathon's event types and payloads, each with an
// increasing id. The last `capacity` events are kept in the store with the changes they
// report, so a client that reconnects with Last-Event-ID gets exactly what it missed, in
// order, even across a restart of agora-marathon; one that fell further behind gets an
// `events_lost` event first, and knows to read the state again.

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.hpp"
#include "common/event_feed.hpp"
#include "common/http_stream.hpp"
#include "common/journal.hpp"

namespace agora::marathon {

class EventLog {
 public:
  EventLog(Journal& journal, Clock& clock, size_t capacity);

  // The retained events, from the store.
  Status load();

  // Adds eventType and timestamp to `payload`; written with the journal's batch and sent to
  // the subscribers once that is durable.
  void publish(const std::string& type, nlohmann::json payload);

  // A stream of the events whose types are in `types` (empty: all) after `lastEventId` (none:
  // from now on).
  std::shared_ptr<HttpStream> subscribe(std::optional<uint64_t> lastEventId, std::set<std::string> types);

  uint64_t lastId() const { return feed_.nextId() - 1; }
  size_t subscribers() const { return feed_.subscribers(); }
  // The retained events after `afterId`, oldest first; for tests and the CLI.
  std::vector<std::pair<uint64_t, nlohmann::json>> since(uint64_t afterId) const;

  static std::string key(uint64_t id);

 private:
  Journal& journal_;
  Clock& clock_;
  EventFeed feed_;
};

}  // namespace agora::marathon
