// The daemons' HTTP front door on a real socket: a handler that throws, bodies over the cap,
// slow clients, and streamed responses written from the loop.
#include "common/http_server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "tests/support/self_signed_cert.hpp"
#include "tests/support/wait.hpp"

namespace agora {
namespace {

class HttpServerTest : public ::testing::Test {
 protected:
  void start(HttpServer::Handler handler, HttpServerOptions options = {}) {
    server = std::make_unique<HttpServer>(loop, std::move(handler), options);
    Try<int> bound = server->listen("127.0.0.1", 0);
    ASSERT_TRUE(bound.ok()) << bound.error();
    port = *bound;
    thread = std::thread([this] { loop.run(); });
  }

  void TearDown() override {
    server.reset();
    loop.stop();
    if (thread.joinable()) thread.join();
  }

  // A raw connection to the server that has sent `request`.
  int connectAndSend(const std::string& request) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
    return fd;
  }

  RealClock clock;
  EventLoop loop{clock};
  std::unique_ptr<HttpServer> server;
  std::thread thread;
  int port = 0;
};

TEST_F(HttpServerTest, AHandlerThatThrowsAnswers500AndTheServerGoesOn) {
  start([](const ApiCall& call) -> ApiReply {
    if (call.path == "/boom") throw std::runtime_error("invalid UTF-8 byte");
    return ApiReply{200, R"({"ok":true})"};
  });
  httplib::Client client("127.0.0.1", port);
  auto boom = client.Get("/boom");
  ASSERT_TRUE(boom);
  EXPECT_EQ(boom->status, 500);
  EXPECT_EQ(boom->body, R"({"error":"the handler for GET /boom failed: invalid UTF-8 byte"})");
  auto fine = client.Get("/fine");
  ASSERT_TRUE(fine);
  EXPECT_EQ(fine->status, 200);
}

TEST_F(HttpServerTest, ABodyOverTheCapIsRefusedWith413) {
  HttpServerOptions options;
  options.maxBodyBytes = 1024;
  bool called = false;
  start([&](const ApiCall&) {
    called = true;
    return ApiReply{200, "{}"};
  }, options);
  httplib::Client client("127.0.0.1", port);
  auto big = client.Post("/api", std::string(4096, 'x'), "application/json");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  EXPECT_NE(big->body.find("larger than this server accepts"), std::string::npos) << big->body;
  auto small = client.Post("/api", std::string(100, 'x'), "application/json");
  ASSERT_TRUE(small);
  EXPECT_EQ(small->status, 200);
}

TEST_F(HttpServerTest, AClientThatNeverFinishesItsRequestIsDropped) {
  HttpServerOptions options;
  options.readTimeout = std::chrono::seconds(1);
  start([](const ApiCall&) { return ApiReply{200, "{}"}; }, options);
  int fd = connectAndSend("GET /health HTTP/1.1\r\nHost: x\r\n");  // the headers never end
  // The server gives up on it (httplib answers 400 first) and closes the connection.
  std::string answer;
  char buf[256];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    ASSERT_EQ(poll(&p, 1, 10000), 1) << "the server kept the connection open";
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    answer.append(buf, static_cast<size_t>(n));
  }
  EXPECT_EQ(answer.find("200 OK"), std::string::npos) << answer;
  close(fd);
}

TEST_F(HttpServerTest, AStreamSendsEachChunkAsTheLoopWritesIt) {
  auto stream = std::make_shared<HttpStream>();
  start([&](const ApiCall&) {
    ApiReply reply{200, "", "text/event-stream"};
    reply.stream = stream;
    stream->write(sseEvent("first", "one", 1));
    return reply;
  });
  std::promise<void> gotFirst;
  std::string received;
  bool signalled = false;
  auto client = std::async(std::launch::async, [&] {
    httplib::Client c("127.0.0.1", port);
    return c.Get("/events", [&](const char* data, size_t n) {
      received.append(data, n);
      if (!signalled && received.find("data: one") != std::string::npos) {
        signalled = true;
        gotFirst.set_value();
      }
      return true;
    });
  });
  // The first chunk arrives while the response is still open.
  ASSERT_EQ(gotFirst.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  loop.post([&] {
    stream->write(sseEvent("second", "two\nlines", 2));
    stream->close();
  });
  ASSERT_EQ(client.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  auto res = client.get();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/event-stream");
  EXPECT_EQ(received, "event: first\nid: 1\ndata: one\n\nevent: second\nid: 2\ndata: two\ndata: lines\n\n");
}

TEST_F(HttpServerTest, AStreamWhoseClientLeftRefusesFurtherWrites) {
  auto stream = std::make_shared<HttpStream>();
  start([&](const ApiCall&) {
    ApiReply reply{200, "", "text/plain"};
    reply.stream = stream;
    return reply;
  });
  int fd = connectAndSend("GET /follow HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(stream->write("hello\n"));
  char buf[256];
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 10000), 1);
  ASSERT_GT(recv(fd, buf, sizeof buf, 0), 0);
  close(fd);
  // Each write waits until the server has tried to send it; a send to the gone client fails.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  bool refused = false;
  while (!refused && std::chrono::steady_clock::now() < deadline) {
    refused = !stream->write("more\n");
    if (!refused) {
      ASSERT_TRUE(stream->waitUntilTaken(std::chrono::seconds(10))) << "the server stopped reading";
    }
  }
  EXPECT_TRUE(refused) << "the server never noticed that its client left";
}

// Each open stream holds an HTTP thread: past the cap a new one is refused, and plain
// requests are still answered.
TEST_F(HttpServerTest, StreamsPastTheCapAreRefusedAndPlainRequestsStillServed) {
  std::vector<std::shared_ptr<HttpStream>> streams;
  HttpServerOptions options;
  options.threads = 3;
  options.maxStreams = 1;
  start(
      [&](const ApiCall& call) {
        if (call.path != "/events") return ApiReply{200, "{}"};
        ApiReply reply{200, "", "text/event-stream"};
        reply.stream = std::make_shared<HttpStream>();
        reply.stream->write("hello\n");
        streams.push_back(reply.stream);
        return reply;
      },
      options);
  int held = connectAndSend("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
  char buf[512];
  ASSERT_GT(recv(held, buf, sizeof buf, 0), 0) << "the first stream did not start";
  httplib::Client c("127.0.0.1", port);
  auto refused = c.Get("/events");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_NE(refused->body.find("1 streams are open"), std::string::npos) << refused->body;
  auto plain = c.Get("/state");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 200);
  // Once the first stream's client goes, a new stream is served.
  close(held);
  EXPECT_TRUE(testing::eventually([&] {
    httplib::Client again("127.0.0.1", port);
    again.set_read_timeout(1, 0);
    std::string first;
    again.Get("/events", [&](const char* d, size_t n) {
      first.append(d, n);
      return false;  // enough: it streamed
    });
    return first.find("hello") != std::string::npos;
  })) << "the slot of the stream whose client left was never freed";
}

TEST(HttpStreamTest, AClientTooFarBehindIsCutOff) {
  HttpStream stream(10);
  EXPECT_TRUE(stream.write("12345"));
  EXPECT_TRUE(stream.write("67890"));
  EXPECT_FALSE(stream.write("x"));
  EXPECT_FALSE(stream.isOpen());
  EXPECT_TRUE(stream.finished());
}

TEST(ApiTargetTest, ARepeatedParameterKeepsEveryValueAsOverHttp) {
  ApiCall call = parseApiTarget("GET", "/v1/jobs?embed=activeRuns&flag&embed=history", "");
  EXPECT_EQ(call.path, "/v1/jobs");
  EXPECT_EQ(call.query["embed"], "activeRuns,history");
  EXPECT_EQ(call.query["flag"], "");
}

}  // namespace
}  // namespace agora


namespace agora {
namespace {

// Large JSON is gzipped here, at zlib's fastest level, for clients that accept it: httplib
// itself would use brotli at its slowest quality for a browser (5 s for 3.6 MB).
TEST_F(HttpServerTest, LargeJsonIsGzippedForClientsThatAcceptItAndNeverBrotlied) {
  std::string big = "[" + std::string(100000, ' ') + "1]";
  start([&](const ApiCall&) { return ApiReply{200, big}; });
  httplib::Client client("127.0.0.1", port);
  client.set_decompress(false);
  auto zipped = client.Get("/", httplib::Headers{{"Accept-Encoding", "gzip, deflate, br"}});
  ASSERT_TRUE(zipped);
  EXPECT_EQ(zipped->get_header_value("Content-Encoding"), "gzip");
  EXPECT_LT(zipped->body.size(), big.size() / 10);
  EXPECT_EQ(zipped->get_header_value("Content-Type"), "application/json; charset=utf-8");
  auto brOnly = client.Get("/", httplib::Headers{{"Accept-Encoding", "br"}});
  ASSERT_TRUE(brOnly);
  EXPECT_EQ(brOnly->get_header_value("Content-Encoding"), "");
  EXPECT_EQ(brOnly->body, big);
  httplib::Client decompressing("127.0.0.1", port);
  auto plain = decompressing.Get("/", httplib::Headers{{"Accept-Encoding", "gzip"}});
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->body, big);
}

}  // namespace
}  // namespace agora

namespace agora {
namespace {

// Bearer tokens on a real socket: refused calls never reach the loop, and the handler learns
// who is calling.
class HttpTokensTest : public HttpServerTest {
 protected:
  static constexpr const char* kOperatorToken = "ops-0123456789abcdef";
  static constexpr const char* kReaderToken = "dashboard-0123456789";

  // Serves every path with "PRINCIPAL/SCOPE" and records the call.
  void startWithTokens(HttpServerOptions options = {}) {
    Try<TokenBook> book = TokenBook::parse(std::string(kOperatorToken) + ",ops,operator\n" + kReaderToken +
                                               ",dashboard,read\n",
                                           "tokens.csv");
    ASSERT_TRUE(book.ok()) << book.error();
    options.tokens = std::make_shared<const TokenBook>(std::move(book).get());
    start(
        [this](const ApiCall& call) {
          std::lock_guard<std::mutex> lock(mutex);
          calls.push_back(call);
          return ApiReply{200, call.principal + "/" + (call.scope ? scopeName(*call.scope) : "none"), "text/plain"};
        },
        options);
  }

  static httplib::Headers bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

  std::vector<ApiCall> seen() {
    std::lock_guard<std::mutex> lock(mutex);
    return calls;
  }

  std::mutex mutex;
  std::vector<ApiCall> calls;
};

const char* const kNeedsToken =
    R"json({"error":"this API needs a bearer token: send 'Authorization: Bearer TOKEN' (see the operator guide)"})json";

TEST_F(HttpTokensTest, ACallWithoutATokenIs401AndNeverReachesTheHandler) {
  startWithTokens();
  httplib::Client client("127.0.0.1", port);
  auto none = client.Get("/api/v1/state");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(none->body, kNeedsToken);
  EXPECT_EQ(none->get_header_value("WWW-Authenticate"), R"(Bearer realm="agora")");
  // Another scheme is no bearer token either.
  auto basic = client.Post("/api/v1/quota", httplib::Headers{{"Authorization", "Basic b3BzOnNlY3JldA=="}}, "{}",
                           "application/json");
  ASSERT_TRUE(basic);
  EXPECT_EQ(basic->status, 401);
  EXPECT_EQ(basic->body, kNeedsToken);
  EXPECT_TRUE(seen().empty());
  EXPECT_EQ(server->refusedUnauthenticated(), 2u);
  EXPECT_EQ(server->refusedForbidden(), 0u);
}

TEST_F(HttpTokensTest, AnUnknownTokenIs401InvalidToken) {
  startWithTokens();
  httplib::Client client("127.0.0.1", port);
  auto unknown = client.Get("/api/v1/state", bearer("not-a-token-of-this-server"));
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 401);
  EXPECT_EQ(unknown->body, R"({"error":"unknown bearer token"})");
  EXPECT_EQ(unknown->get_header_value("WWW-Authenticate"), R"(Bearer realm="agora", error="invalid_token")");
  EXPECT_TRUE(seen().empty());
  EXPECT_EQ(server->refusedUnauthenticated(), 1u);
}

TEST_F(HttpTokensTest, AReadTokenMayReadButNotOperate) {
  startWithTokens();
  httplib::Client client("127.0.0.1", port);
  auto get = client.Get("/api/v1/state", bearer(kReaderToken));
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(get->body, "dashboard/read");
  auto head = client.Head("/api/v1/state", bearer(kReaderToken));
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  auto post = client.Post("/api/v1/quota", bearer(kReaderToken), "{}", "application/json");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 403);
  EXPECT_EQ(post->body,
            R"({"error":"token of principal 'dashboard' is read-only: POST /api/v1/quota needs an operator token"})");
  auto del = client.Delete("/api/v1/quota/team-a", bearer(kReaderToken));
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 403);
  EXPECT_EQ(seen().size(), 2u);  // the GET and the HEAD
  EXPECT_EQ(server->refusedForbidden(), 2u);
  EXPECT_EQ(server->refusedUnauthenticated(), 0u);
}

TEST_F(HttpTokensTest, TheHandlerGetsThePrincipalAndScopeButNeverTheToken) {
  startWithTokens();
  httplib::Client client("127.0.0.1", port);
  auto post = client.Post("/api/v1/quota", bearer(kOperatorToken), R"({"role":"a"})", "application/json");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 200);
  EXPECT_EQ(post->body, "ops/operator");
  // The scheme is case-insensitive (RFC 7235).
  auto lower = client.Get("/api/v1/state", httplib::Headers{{"Authorization", std::string("bearer ") + kOperatorToken}});
  ASSERT_TRUE(lower);
  EXPECT_EQ(lower->status, 200);
  std::vector<ApiCall> calls = seen();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].principal, "ops");
  EXPECT_EQ(calls[0].scope, Scope::kOperator);
  EXPECT_EQ(calls[0].body, R"({"role":"a"})");
  for (const ApiCall& call : calls) EXPECT_EQ(call.headers.count("authorization"), 0u);
}

TEST_F(HttpTokensTest, HealthIsOpenWithoutAToken) {
  startWithTokens();
  httplib::Client client("127.0.0.1", port);
  auto health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, "/none");
  // Open, but a known token still says who is calling.
  auto known = client.Get("/health", bearer(kReaderToken));
  ASSERT_TRUE(known);
  EXPECT_EQ(known->body, "dashboard/read");
  auto unknown = client.Get("/health", bearer("not-a-token-of-this-server"));
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 200);
  EXPECT_EQ(unknown->body, "/none");
  EXPECT_EQ(server->refusedUnauthenticated(), 0u);
}

TEST_F(HttpTokensTest, IsPublicNamesTheOpenPathsInsteadOfHealth) {
  HttpServerOptions options;
  options.isPublic = [](const std::string& method, const std::string& path) {
    return method == "GET" && (path == "/" || path.rfind("/static/", 0) == 0);
  };
  startWithTokens(options);
  httplib::Client client("127.0.0.1", port);
  auto statusOf = [](const httplib::Result& r) { return r ? r->status : -1; };
  EXPECT_EQ(statusOf(client.Get("/")), 200);
  EXPECT_EQ(statusOf(client.Get("/static/app.js")), 200);
  EXPECT_EQ(statusOf(client.Post("/static/app.js", "", "text/plain")), 401);
  EXPECT_EQ(statusOf(client.Get("/health")), 401);
  EXPECT_EQ(statusOf(client.Get("/api/v1/state")), 401);
}

TEST_F(HttpTokensTest, TheAccessTokenParameterServesTheBrowsersEventSourceAndIsStripped) {
  startWithTokens();
  httplib::Client client("127.0.0.1", port);
  auto events = client.Get(std::string("/api/v1/events?since=3&access_token=") + kReaderToken);
  ASSERT_TRUE(events);
  EXPECT_EQ(events->status, 200);
  EXPECT_EQ(events->body, "dashboard/read");
  auto unknown = client.Get("/api/v1/events?access_token=not-a-token-of-this-server");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 401);
  EXPECT_EQ(unknown->body, R"({"error":"unknown bearer token"})");
  std::vector<ApiCall> calls = seen();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].query.count("access_token"), 0u);
  EXPECT_EQ(calls[0].query.at("since"), "3");
  EXPECT_EQ(calls[0].principal, "dashboard");
}

TEST_F(HttpTokensTest, WithoutTokensEveryPathIsOpenAndNobodyIsNamed) {
  std::mutex m;
  std::optional<ApiCall> last;
  start([&](const ApiCall& call) {
    std::lock_guard<std::mutex> lock(m);
    last = call;
    return ApiReply{200, "{}"};
  });
  httplib::Client client("127.0.0.1", port);
  auto post = client.Post("/api/v1/quota?access_token=x", "{}", "application/json");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 200);
  std::lock_guard<std::mutex> lock(m);
  ASSERT_TRUE(last);
  EXPECT_EQ(last->principal, "");
  EXPECT_EQ(last->scope, std::nullopt);
  EXPECT_EQ(last->query.count("access_token"), 1u);  // not a token when tokens are off
  EXPECT_EQ(server->refusedUnauthenticated(), 0u);
}

}  // namespace
}  // namespace agora

namespace agora {
namespace {

// HTTPS with a certificate made here (openssl, as an operator would), checked by a client that
// trusts only that certificate; a key that does not load is an error at listen, not a crash.
class HttpsTest : public HttpServerTest {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/agora-https-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir = tmpl;
    ASSERT_TRUE(testing::makeSelfSignedCert(dir)) << "openssl could not make a certificate in " << dir;
  }
  void TearDown() override {
    HttpServerTest::TearDown();
    std::filesystem::remove_all(dir);
  }
  std::string dir;
};

TEST_F(HttpsTest, ServesOverTlsWithTheGivenCertificate) {
  HttpServerOptions options;
  options.tlsCert = dir + "/cert.pem";
  options.tlsKey = dir + "/key.pem";
  start([](const ApiCall& call) { return ApiReply{200, "secure " + call.path, "text/plain"}; }, options);
  httplib::SSLClient client("127.0.0.1", port);
  client.set_ca_cert_path((dir + "/cert.pem").c_str());
  client.enable_server_certificate_verification(true);
  auto r = client.Get("/hello");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "secure /hello");
  httplib::Client plain("127.0.0.1", port);
  EXPECT_FALSE(plain.Get("/hello")) << "plain HTTP gets no answer from an HTTPS port";
}

TEST_F(HttpsTest, AnUnreadableKeyIsAnErrorAtListen) {
  HttpServerOptions options;
  options.tlsCert = dir + "/cert.pem";
  options.tlsKey = dir + "/missing.pem";
  HttpServer server(loop, [](const ApiCall&) { return ApiReply{}; }, options);
  Try<int> bound = server.listen("127.0.0.1", 0);
  ASSERT_TRUE(bound.isError());
  EXPECT_NE(bound.error().find("--tls_key"), std::string::npos) << bound.error();
}

}  // namespace
}  // namespace agora
