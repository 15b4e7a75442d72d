#pragma once
// An HTTP front door for a daemon. Requests arrive on httplib's threads; each is handed to
// the daemon's event loop and answered from there, so handlers read domain state without
// locks. The same ApiCall/ApiReply pair also travels over ZeroMQ (proto::ApiRequest).

#include <functional>
#include <map>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json_fwd.hpp>

#include "common/event_loop.hpp"
#include "common/http_stream.hpp"
#include "common/tokens.hpp"
#include "common/try.hpp"

namespace httplib { class Server; }

namespace agora {

struct ApiCall {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query string
  // A parameter given more than once (?embed=a&embed=b) holds its values joined by commas.
  std::map<std::string, std::string> query;
  std::string body;
  // Request headers by lower-case name (HTTP only): Last-Event-ID, Accept, ...
  // With bearer tokens on, Authorization is not among them: handlers never see a token.
  std::map<std::string, std::string> headers{};
  // Who is calling, from the bearer token; empty and nullopt when tokens are off (and on a
  // public path called without a known token).
  std::string principal{};
  std::optional<Scope> scope{};
};

class PendingReply;

struct ApiReply {
  int status = 200;
  std::string body;
  std::string contentType = "application/json";
  // Response headers beyond Content-Type (Location, Marathon-Deployment-Id, ...).
  std::map<std::string, std::string> headers{};
  // Set for a streaming response: `body` is not used; the chunks written to the stream are
  // sent as they come (chunked transfer encoding) until it closes or the client goes.
  std::shared_ptr<HttpStream> stream{};
  // Set for an answer that the loop gives later (after a registry write): nothing else of
  // this reply is used.
  std::shared_ptr<PendingReply> pending{};

  static ApiReply later(std::shared_ptr<PendingReply> pending) {
    ApiReply r;
    r.pending = std::move(pending);
    return r;
  }
};

// An answer given once, later; thread-safe, so that whoever serves the call (an HTTP thread,
// the loop for a ZeroMQ request) can wait for it however it waits.
class PendingReply {
 public:
  void give(ApiReply reply);
  // Runs `fn` with the answer once it is given, on the giving thread (or at once if given).
  void then(std::function<void(const ApiReply&)> fn);

 private:
  std::mutex mutex_;
  std::optional<ApiReply> reply_;
  std::function<void(const ApiReply&)> then_;
};

// {"error": message} with the given status.
ApiReply errorReply(int status, const std::string& message);
// `body` as JSON text. Never fails: bytes that are not UTF-8 (which the edges refuse, but a
// checkpoint from an older version may hold) become U+FFFD instead of an exception.
ApiReply jsonReply(int status, const nlohmann::json& body);

// Splits "/a/b?x=1&y=2" into the path and its query parameters.
ApiCall parseApiTarget(const std::string& method, const std::string& target, std::string body);

struct HttpServerOptions {
  // Larger request bodies are refused with 413 before they are read.
  size_t maxBodyBytes = 8 << 20;
  // A client that sends its request (or takes the answer) slower than this is dropped, so
  // that slow clients cannot hold every HTTP thread.
  std::chrono::seconds readTimeout{10};
  std::chrono::seconds writeTimeout{10};
  // The loop must answer within this, or the client gets 503.
  std::chrono::seconds handlerTimeout{10};
  // HTTP threads; an open stream holds one for as long as it lasts.
  size_t threads = 32;
  // Streams open at once; more are refused with 503, so that plain requests always find a
  // thread (threads - maxStreams of them).
  size_t maxStreams = 24;
  // Bearer tokens; null leaves every path open. With tokens, a call to a path that is not
  // public needs "Authorization: Bearer TOKEN" (or ?access_token=TOKEN, for the browser's
  // EventSource, which cannot set headers) and is refused before it reaches the loop:
  // 401 without a token or with an unknown one, 403 for a read-scoped token on anything but
  // GET and HEAD. The handler gets the principal and scope in the ApiCall.
  std::shared_ptr<const TokenBook> tokens{};
  // The paths open to all even with tokens (the web page's static files, say); null opens
  // only "/health". Called on an HTTP thread, so it must not touch the loop's state.
  std::function<bool(const std::string& method, const std::string& path)> isPublic{};
  // HTTPS: PEM files of the certificate (its chain) and its private key; empty: plain HTTP.
  std::string tlsCert{};
  std::string tlsKey{};
};

class HttpServer {
 public:
  using Handler = std::function<ApiReply(const ApiCall&)>;

  // A handler that throws answers 500 with the exception's message; the daemon goes on.
  HttpServer(EventLoop& loop, Handler handler, HttpServerOptions options = {});
  ~HttpServer();

  // Port 0 picks a free port. Returns the bound port.
  Try<int> listen(const std::string& host, int port);
  void stop();

  // Calls refused for want of a known bearer token (401), and read-scoped calls refused an
  // operation (403), since the start: for /metrics. Any thread.
  uint64_t refusedUnauthenticated() const { return refusedUnauthenticated_; }
  uint64_t refusedForbidden() const { return refusedForbidden_; }

 private:
  EventLoop& loop_;
  Handler handler_;
  HttpServerOptions options_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<size_t> streams_{0};
  std::atomic<uint64_t> refusedUnauthenticated_{0};
  std::atomic<uint64_t> refusedForbidden_{0};
};

}  // namespace agora
