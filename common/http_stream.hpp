#pragma once
// A response body written over time: the daemon's loop writes chunks (server-sent events, a
// log that grows) and an HTTP thread sends each as it comes, chunked. The loop never blocks
// on a slow client: what the client has not taken piles up to a cap, and past it the stream
// is closed (an event-stream client reconnects and resumes from its Last-Event-ID).

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

namespace agora {

class HttpStream {
 public:
  // `heartbeat` (e.g. ":\n\n", an SSE comment) is sent after `kHeartbeatAfter` without a
  // chunk: it keeps proxies from closing an idle stream and finds clients that are gone.
  explicit HttpStream(size_t maxBufferedBytes = 8 << 20, std::string heartbeat = "")
      : maxBuffered_(maxBufferedBytes), heartbeat_(std::move(heartbeat)) {}
  static constexpr std::chrono::seconds kHeartbeatAfter{15};
  const std::string& heartbeat() const { return heartbeat_; }

  // Loop side. False once the stream is closed: the client went away, or fell too far
  // behind; the writer should forget it.
  bool write(std::string chunk);
  // No more chunks: the response ends once the client has what was written.
  void close();
  bool isOpen() const;
  // Waits until the client has taken everything written, or the stream closed; false if
  // `timeout` passed first.
  bool waitUntilTaken(std::chrono::milliseconds timeout);

  // HTTP side. The next chunk, waiting up to `wait`; nothing if none came (the stream may
  // have closed: see finished()).
  std::optional<std::string> next(std::chrono::milliseconds wait);
  // Closed, and everything written was taken.
  bool finished() const;
  // The client is gone.
  void abandon();

 private:
  const size_t maxBuffered_;
  const std::string heartbeat_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::string> chunks_;
  size_t buffered_ = 0;
  bool closed_ = false;
};

// One server-sent event ("event: NAME\nid: ID\ndata: ...\n\n"); `data` may span lines.
std::string sseEvent(const std::string& event, const std::string& data, std::optional<uint64_t> id = std::nullopt);

}  // namespace agora
