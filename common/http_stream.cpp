#include "common/http_stream.hpp"

namespace agora {

bool HttpStream::write(std::string chunk) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return false;
    if (buffered_ + chunk.size() > maxBuffered_) {
      // A client this far behind would make the daemon hold its backlog for ever.
      closed_ = true;
      chunks_.clear();
      buffered_ = 0;
      ready_.notify_all();
      return false;
    }
    buffered_ += chunk.size();
    chunks_.push_back(std::move(chunk));
  }
  ready_.notify_all();
  return true;
}

void HttpStream::close() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
  }
  ready_.notify_all();
}

bool HttpStream::isOpen() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return !closed_;
}

std::optional<std::string> HttpStream::next(std::chrono::milliseconds wait) {
  std::unique_lock<std::mutex> lock(mutex_);
  ready_.wait_for(lock, wait, [&] { return !chunks_.empty() || closed_; });
  if (chunks_.empty()) return std::nullopt;
  std::string chunk = std::move(chunks_.front());
  chunks_.pop_front();
  buffered_ -= chunk.size();
  lock.unlock();
  ready_.notify_all();  // a writer may wait for the client to catch up
  return chunk;
}

bool HttpStream::waitUntilTaken(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  return ready_.wait_for(lock, timeout, [&] { return chunks_.empty() || closed_; });
}

bool HttpStream::finished() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return closed_ && chunks_.empty();
}

void HttpStream::abandon() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    chunks_.clear();
    buffered_ = 0;
  }
  ready_.notify_all();
}

std::string sseEvent(const std::string& event, const std::string& data, std::optional<uint64_t> id) {
  std::string out;
  if (!event.empty()) out += "event: " + event + "\n";
  if (id) out += "id: " + std::to_string(*id) + "\n";
  size_t start = 0;
  for (;;) {
    size_t end = data.find('\n', start);
    out += "data: " + data.substr(start, end == std::string::npos ? std::string::npos : end - start) + "\n";
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out + "\n";
}

}  // namespace agora
