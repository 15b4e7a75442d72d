#include "common/http_server.hpp"

#include <algorithm>
#include <future>
#include <mutex>

#include <glog/logging.h>

#include <httplib.h>
#include <zlib.h>
#include <nlohmann/json.hpp>

namespace agora {

namespace {
std::string lowerCase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}
}  // namespace

ApiReply errorReply(int status, const std::string& message) {
  // The message may quote bytes of the request that are not UTF-8.
  return jsonReply(status, nlohmann::json{{"error", message}});
}

ApiReply jsonReply(int status, const nlohmann::json& body) {
  ApiReply reply;
  reply.status = status;
  reply.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return reply;
}

ApiCall parseApiTarget(const std::string& method, const std::string& target, std::string body) {
  ApiCall call{method, target, {}, std::move(body)};
  size_t q = target.find('?');
  if (q == std::string::npos) return call;
  call.path = target.substr(0, q);
  std::string rest = target.substr(q + 1);
  size_t start = 0;
  while (start < rest.size()) {
    size_t end = rest.find('&', start);
    if (end == std::string::npos) end = rest.size();
    std::string kv = rest.substr(start, end - start);
    size_t eq = kv.find('=');
    std::string key = kv.substr(0, eq), value = eq == std::string::npos ? "" : kv.substr(eq + 1);
    auto [it, fresh] = call.query.try_emplace(key, value);
    if (!fresh) it->second += "," + value;  // as over HTTP
    start = end + 1;
  }
  return call;
}

namespace {

// The loop side of a request: the handler's reply, or a 500 that says what went wrong.
ApiReply answer(const HttpServer::Handler& handler, const ApiCall& call) {
  try {
    return handler(call);
  } catch (const std::exception& e) {
    LOG(ERROR) << "HTTP handler for " << call.method << " " << call.path << " failed: " << e.what();
    return errorReply(500, "the handler for " + call.method + " " + call.path + " failed: " + e.what());
  }
}

// gzip at its fastest level; nothing if zlib fails.
std::optional<std::string> gzip(const std::string& in) {
  z_stream z{};
  if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return std::nullopt;
  std::string out(deflateBound(&z, in.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return std::nullopt;
  return out;
}

// httplib compresses application/json itself, with brotli at its slowest quality when the
// client accepts it (Chromium does): 5 s for the 3.6 MB agent list of 10,000 agents. JSON is
// compressed here instead, with gzip at its fastest level, under a content type
// httplib leaves alone.
void setContent(const httplib::Request& req, httplib::Response& res, const std::string& body, std::string type) {
  if (type != "application/json") return res.set_content(body, type.c_str());
  type += "; charset=utf-8";
  if (body.size() >= 1024 && req.get_header_value("Accept-Encoding").find("gzip") != std::string::npos) {
    if (std::optional<std::string> zipped = gzip(body)) {
      res.set_header("Content-Encoding", "gzip");
      res.set_header("Vary", "Accept-Encoding");
      return res.set_content(std::move(*zipped), type.c_str());
    }
  }
  res.set_content(body, type.c_str());
}

// The bearer token of a call: "Authorization: Bearer X" (the scheme in any case, as RFC 7235
// has it), else ?access_token=X, which the browser's EventSource needs as it cannot set
// headers. Takes both out of the call, so that no handler can log or echo a token.
std::optional<std::string> takeBearerToken(ApiCall& call) {
  std::optional<std::string> token;
  auto header = call.headers.find("authorization");
  if (header != call.headers.end()) {
    const std::string& value = header->second;
    if (value.size() > 7 && lowerCase(value.substr(0, 7)) == "bearer ") {
      size_t start = value.find_first_not_of(' ', 7);
      size_t end = value.find_last_not_of(' ');
      if (start != std::string::npos) token = value.substr(start, end - start + 1);
    }
    call.headers.erase(header);
  }
  auto param = call.query.find("access_token");
  if (param != call.query.end()) {
    if (!token) token = param->second;
    call.query.erase(param);
  }
  return token;
}

// Fills in who is calling from the bearer token; or gives the refusal to send instead of
// calling the handler. On a public path the call goes through whatever the token, but still
// carries the principal of a known one.
std::optional<ApiReply> admit(const HttpServerOptions& options, ApiCall& call) {
  std::optional<std::string> token = takeBearerToken(call);
  std::optional<TokenGrant> grant = token ? options.tokens->find(*token) : std::nullopt;
  if (grant) {
    call.principal = grant->principal;
    call.scope = grant->scope;
  }
  bool isPublic = options.isPublic ? options.isPublic(call.method, call.path) : call.path == "/health";
  if (isPublic) return std::nullopt;
  if (!token) {
    ApiReply refusal = errorReply(
        401, "this API needs a bearer token: send 'Authorization: Bearer TOKEN' (see the operator guide)");
    refusal.headers.emplace("WWW-Authenticate", "Bearer realm=\"agora\"");
    return refusal;
  }
  if (!grant) {
    ApiReply refusal = errorReply(401, "unknown bearer token");
    refusal.headers.emplace("WWW-Authenticate", "Bearer realm=\"agora\", error=\"invalid_token\"");
    return refusal;
  }
  if (grant->scope == Scope::kRead && call.method != "GET" && call.method != "HEAD")
    return errorReply(403, "token of principal '" + grant->principal + "' is read-only: " + call.method + " " +
                               call.path + " needs an operator token");
  return std::nullopt;
}

// Sends what the loop writes to `stream` until it is finished or the client goes.
// `open` counts the streams being sent; this one until its client goes or it finishes.
void sendStream(httplib::Response& res, const std::string& contentType, std::shared_ptr<HttpStream> stream,
                std::atomic<size_t>& open) {
  res.set_header("Cache-Control", "no-cache");
  auto lastSent = std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
  res.set_chunked_content_provider(
      contentType, [stream, lastSent](size_t, httplib::DataSink& sink) {
        std::optional<std::string> chunk = stream->next(std::chrono::milliseconds(500));
        auto now = std::chrono::steady_clock::now();
        if (!chunk && !stream->heartbeat().empty() && now - *lastSent > HttpStream::kHeartbeatAfter)
          chunk = stream->heartbeat();
        if (chunk) *lastSent = now;
        if (!sink.is_writable()) {
          stream->abandon();
          return false;
        }
        if (chunk && !sink.write(chunk->data(), chunk->size())) {
          stream->abandon();
          return false;
        }
        if (!chunk && stream->finished()) sink.done();
        return true;
      },
      [stream, &open](bool) {
        stream->abandon();
        --open;
      });
}

}  // namespace

void PendingReply::give(ApiReply reply) {
  std::function<void(const ApiReply&)> then;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (reply_) return;  // given once
    reply_ = std::move(reply);
    then = std::move(then_);
  }
  if (then) then(*reply_);
}

void PendingReply::then(std::function<void(const ApiReply&)> fn) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!reply_) {
      then_ = std::move(fn);
      return;
    }
  }
  fn(*reply_);
}

HttpServer::HttpServer(EventLoop& loop, Handler handler, HttpServerOptions options)
    : loop_(loop),
      handler_(std::move(handler)),
      options_(options),
      server_(options_.tlsCert.empty()
                  ? std::make_unique<httplib::Server>()
                  : std::make_unique<httplib::SSLServer>(options_.tlsCert.c_str(), options_.tlsKey.c_str())) {
  size_t threads = std::max<size_t>(options_.threads, options_.maxStreams + 1);
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server_->set_payload_max_length(options_.maxBodyBytes);
  // Streams are written an event at a time: with Nagle's algorithm each small write after the
  // first waits for the client's delayed ACK (40 ms).
  server_->set_tcp_nodelay(true);
  server_->set_read_timeout(options_.readTimeout.count(), 0);
  server_->set_write_timeout(options_.writeTimeout.count(), 0);
  auto serve = [this](const httplib::Request& req, httplib::Response& res) {
    ApiCall call{req.method, req.path, {}, req.body};
    for (const auto& [k, v] : req.params) {
      auto [it, fresh] = call.query.try_emplace(k, v);
      if (!fresh) it->second += "," + v;
    }
    for (const auto& [k, v] : req.headers) call.headers[lowerCase(k)] = v;
    // Refused here, on the HTTP thread: a client without a token costs the loop nothing.
    if (options_.tokens) {
      if (std::optional<ApiReply> refusal = admit(options_, call)) {
        if (refusal->status == 403) ++refusedForbidden_;
        else ++refusedUnauthenticated_;
        res.status = refusal->status;
        for (const auto& [k, v] : refusal->headers) res.set_header(k, v);
        res.set_content(refusal->body, refusal->contentType.c_str());
        return;
      }
    }
    auto promise = std::make_shared<std::promise<ApiReply>>();
    auto future = promise->get_future();
    // A stream answered after the client was told 503 must end, or its writer (an HTTP
    // scheduler's subscription, say) would take it for a client that listens.
    struct Handoff {
      std::mutex mutex;
      bool late = false;
      std::shared_ptr<HttpStream> stream;
    };
    auto handoff = std::make_shared<Handoff>();
    loop_.post([this, call, promise, handoff] {
      ApiReply reply = answer(handler_, call);
      {
        std::lock_guard<std::mutex> lock(handoff->mutex);
        if (handoff->late && reply.stream) reply.stream->abandon();
        handoff->stream = reply.stream;
      }
      promise->set_value(std::move(reply));
    });
    if (future.wait_for(options_.handlerTimeout) != std::future_status::ready) {
      {
        std::lock_guard<std::mutex> lock(handoff->mutex);
        handoff->late = true;
        if (handoff->stream) handoff->stream->abandon();
      }
      ApiReply late = errorReply(503, "the daemon did not answer within " +
                                          std::to_string(options_.handlerTimeout.count()) + " s; try again");
      res.status = late.status;
      res.set_content(late.body, late.contentType.c_str());
      return;
    }
    ApiReply reply = future.get();
    if (reply.pending) {
      auto given = std::make_shared<std::promise<ApiReply>>();
      auto answer = given->get_future();
      reply.pending->then([given](const ApiReply& r) { given->set_value(r); });
      if (answer.wait_for(options_.handlerTimeout) != std::future_status::ready) {
        ApiReply late = errorReply(503, "the change was not confirmed within " +
                                            std::to_string(options_.handlerTimeout.count()) +
                                            " s; it may still be made: read the state before you try again");
        res.status = late.status;
        res.set_content(late.body, late.contentType.c_str());
        return;
      }
      reply = answer.get();
    }
    res.status = reply.status;
    for (const auto& [k, v] : reply.headers) res.set_header(k, v);
    if (reply.stream) {
      if (++streams_ > options_.maxStreams) {
        --streams_;
        reply.stream->abandon();
        ApiReply busy = errorReply(503, std::to_string(options_.maxStreams) +
                                            " streams are open, the most this server serves at once; try again later");
        res.status = busy.status;
        res.set_content(busy.body, busy.contentType.c_str());
        return;
      }
      sendStream(res, reply.contentType, reply.stream, streams_);
      return;
    }
    setContent(req, res, reply.body, reply.contentType);
  };
  server_->set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    std::string why = res.status == 413   ? "the request body is larger than this server accepts"
                      : res.status == 411 ? "a request with a body needs a Content-Length (curl: give -d, even -d '')"
                      : res.status == 400 ? "the request is not well-formed HTTP"
                                          : "the request could not be served (HTTP " + std::to_string(res.status) + ")";
    res.set_content(nlohmann::json{{"error", why}}.dump(), "application/json");
  });
  server_->Get(".*", serve);
  server_->Post(".*", serve);
  server_->Put(".*", serve);
  server_->Patch(".*", serve);
  server_->Delete(".*", serve);
}

HttpServer::~HttpServer() { stop(); }

Try<int> HttpServer::listen(const std::string& host, int port) {
  if (!server_->is_valid())
    return Error("cannot serve HTTPS: the certificate " + options_.tlsCert + " and key " + options_.tlsKey +
                 " must be readable PEM files of one key pair (check --tls_cert and --tls_key)");
  int bound = port == 0 ? server_->bind_to_any_port(host.c_str()) : (server_->bind_to_port(host.c_str(), port) ? port : -1);
  if (bound < 0)
    return Error("cannot listen for HTTP on " + host + ":" + std::to_string(port) +
                 " (is another process using the port?)");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return bound;
}

void HttpServer::stop() {
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

}  // namespace agora
