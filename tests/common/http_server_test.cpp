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

#include <future>
#include <thread>

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
