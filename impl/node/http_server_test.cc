// http_server_test.cc: the node's HTTP endpoint (http_server.h) over a real loopback socket: a
// request reaches the inbox and complete() answers it; destroying the server while a request still
// waits for the event loop returns (NNG's stop waits for every handler, so it used to hang).
#include "impl/node/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <variant>

namespace dynamo::node {
namespace {

constexpr int kPort = 19761;  // outside the e2e tests' ranges (17100..18299)

// A plain TCP client that sends one request and reads what comes back, never waiting more than 10 s.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~RawClient() { ::close(fd_); }
  bool connected() const { return connected_; }
  void send(const std::string& bytes) { ASSERT_EQ(::write(fd_, bytes.data(), bytes.size()), ssize_t(bytes.size())); }
  // Everything until the peer closes, the first full response (by Content-Length), or the timeout.
  std::string read_response() {
    std::string got;
    char buffer[4096];
    while (true) {
      const auto header_end = got.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        const auto length_at = got.find("Content-Length: ");
        const std::size_t length = length_at == std::string::npos ? 0 : std::stoul(got.substr(length_at + 16));
        if (got.size() >= header_end + 4 + length) return got;
      }
      const ssize_t n = ::read(fd_, buffer, sizeof buffer);
      if (n <= 0) return got;
      got.append(buffer, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

const std::string kPut = "PUT /kv/a HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello";

HttpIn take_request(Inbox& inbox) {
  auto events = inbox.take(std::chrono::steady_clock::now() + std::chrono::seconds(10));
  if (events.size() != 1 || !std::holds_alternative<HttpIn>(events.front())) {
    ADD_FAILURE() << "expected one HTTP request in the inbox, got " << events.size() << " events";
    return {};
  }
  return std::get<HttpIn>(std::move(events.front()));
}

// A server on kPort with one PUT sent to it and taken from the inbox: the loop holds it, unanswered.
class HttpServerWithRequest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = HttpServer::start("127.0.0.1:" + std::to_string(kPort), 1024, inbox);
    ASSERT_TRUE(started.ok()) << started.error().message;
    server = std::move(started).value();
    client = std::make_unique<RawClient>(kPort);
    ASSERT_TRUE(client->connected());
    client->send(kPut);
    in = take_request(inbox);
  }

  Inbox inbox;
  std::unique_ptr<HttpServer> server;
  std::unique_ptr<RawClient> client;
  HttpIn in;
};

TEST_F(HttpServerWithRequest, ReachesTheInboxAndCompleteAnswersIt) {
  EXPECT_EQ(in.request.method, "PUT");
  EXPECT_EQ(in.request.uri, "/kv/a");
  EXPECT_EQ(in.request.body, "hello");
  server->complete(in.origin, net::HttpResponse{204, {{"X-Dynamo-Context", "AA=="}}, ""});
  const std::string response = client->read_response();
  EXPECT_EQ(response.rfind("HTTP/1.1 204", 0), 0u) << response;
  EXPECT_NE(response.find("X-Dynamo-Context: AA=="), std::string::npos) << response;
}

TEST_F(HttpServerWithRequest, StoppingWhileItWaitsForTheLoopReturnsAndAnswers503) {
  std::atomic<bool> stopped{false};
  std::thread([&] {
    server.reset();
    stopped = true;
  }).detach();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!stopped && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (!stopped) {
    // The stopping thread is stuck inside NNG and holds this fixture: no clean way back.
    std::fprintf(stderr, "FAILED: destroying the HTTP server with a request in flight did not return in 10 s\n");
    std::_Exit(1);
  }
  // The stop closes the connection right after the answer is handed to NNG: the 503 usually
  // arrives, but a close that wins the race is also correct. What must never come is another answer.
  const std::string response = client->read_response();
  if (!response.empty()) {
    EXPECT_EQ(response.rfind("HTTP/1.1 503", 0), 0u) << response;
    EXPECT_NE(response.find("stopping"), std::string::npos) << response;
  }
}

}  // namespace
}  // namespace dynamo::node
