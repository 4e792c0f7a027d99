// File answers over real loopback sockets: sendfile with partial sends, a range, keep-alive after
// a file, and a traversal attempt written raw on the wire. Every wait is bounded.

#include <gtest/gtest.h>
#include <pthread.h>

#include <csignal>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "../support/raw_socket.hpp"
#include "../support/temp_tree.hpp"
#include "sloe/context/context.hpp"
#include "sloe/engine.hpp"

namespace {

using namespace std::chrono_literals;
using sloe::test::RawResponse;
using sloe::test::RawSocket;

constexpr std::string_view kSecret = "TOP-SECRET";

constexpr std::size_t kLarge = 1 << 20;  // 1 MiB
// More than loopback's socket buffers take at once (a 1 MiB answer fits in them whole): the
// transport sends it in parts, waiting for the socket to drain between them.
constexpr std::size_t kHuge = 16 << 20;

// Bytes that no shifted or repeated slice matches: a byte lost or sent twice shows.
std::string pseudo_random_bytes(std::size_t size) {
  std::string content(size, '\0');
  std::uint32_t x = 2463534242u;
  for (char& c : content) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return content;
}

struct FileServer {
  FileServer() : content(pseudo_random_bytes(kHuge)) {
    tree.write("www/huge.bin", content);
    tree.write("www/large.bin", std::string_view(content).substr(0, kLarge));
    tree.write("www/hello.txt", "hello");
    tree.write("secret", kSecret);
    sloe::EngineOptions options;
    options.threads = 2;
    options.handle_signals = false;
    app = std::make_unique<sloe::Engine>(std::move(options));
    app->static_dir("/static", tree.path("www"));
    app->get("/ping", [](sloe::Context& c) { c.string(200, "pong"); });
    // Whether the worker that serves the request has SIGPIPE blocked.
    app->get("/sigpipe", [](sloe::Context& c) {
      sigset_t blocked;
      pthread_sigmask(SIG_BLOCK, nullptr, &blocked);
      c.string(200, sigismember(&blocked, SIGPIPE) == 1 ? "blocked" : "open");
    });
    app->start("127.0.0.1:0");
  }
  ~FileServer() { app->shutdown(0ms); }

  RawSocket connect() const {
    RawSocket socket(app->port());
    EXPECT_TRUE(socket.connected());
    return socket;
  }

  sloe::test::TempTree tree;
  std::string content;
  std::unique_ptr<sloe::Engine> app;
};

std::string get(std::string_view target, std::string_view extra = "") {
  std::string request = "GET ";
  request.append(target).append(" HTTP/1.1\r\nHost: t\r\n").append(extra).append("\r\n");
  return request;
}

TEST(FileServer, FilesArriveByteExact) {
  FileServer server;
  for (const auto& [target, size] :
       {std::pair{"/static/large.bin", kLarge}, std::pair{"/static/huge.bin", kHuge}}) {
    SCOPED_TRACE(target);
    RawSocket socket = server.connect();
    ASSERT_TRUE(socket.send(get(target)));
    // Read only after a pause: the socket buffers fill, and the rest waits for room.
    std::this_thread::sleep_for(50ms);
    std::optional<RawResponse> r = socket.read_response(10s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->header("Content-Length"), std::to_string(size));
    EXPECT_EQ(r->header("Content-Type"), "application/octet-stream");
    ASSERT_EQ(r->body.size(), size);
    EXPECT_TRUE(std::string_view(r->body) == std::string_view(server.content).substr(0, size))
        << "the body differs from the file";
  }
}

TEST(FileServer, RangeOfALargeFile) {
  FileServer server;
  RawSocket socket = server.connect();
  ASSERT_TRUE(socket.send(get("/static/large.bin", "Range: bytes=1000-500999\r\n")));
  std::optional<RawResponse> r = socket.read_response(10s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 206);
  EXPECT_EQ(r->header("Content-Range"), "bytes 1000-500999/1048576");
  EXPECT_TRUE(r->body == std::string_view(server.content).substr(1000, 500000))
      << "the slice differs";
}

TEST(FileServer, KeepAliveGoesOnAfterAFile) {
  FileServer server;
  RawSocket socket = server.connect();
  // Pipelined: the answer after a file must start right after its last byte.
  ASSERT_TRUE(socket.send(get("/static/large.bin") + get("/static/hello.txt") + get("/ping")));
  std::vector<RawResponse> answers = socket.read_responses(3, 10s);
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_TRUE(std::string_view(answers[0].body) ==
              std::string_view(server.content).substr(0, kLarge));
  EXPECT_EQ(answers[1].body, "hello");
  EXPECT_EQ(answers[2].body, "pong");
  // And one more request afterwards, on the same connection.
  ASSERT_TRUE(socket.send(get("/static/hello.txt", "Range: bytes=1-3\r\n")));
  std::optional<RawResponse> r = socket.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 206);
  EXPECT_EQ(r->body, "ell");
  EXPECT_TRUE(socket.stays_open(100ms));
}

TEST(FileServer, HeadSendsNoFileBytes) {
  FileServer server;
  RawSocket socket = server.connect();
  ASSERT_TRUE(socket.send("HEAD /static/large.bin HTTP/1.1\r\nHost: t\r\n\r\n" + get("/ping")));
  std::optional<RawResponse> head = socket.read_response(2s, /*head=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("Content-Length"), "1048576");
  std::optional<RawResponse> ping = socket.read_response();
  ASSERT_TRUE(ping);
  EXPECT_EQ(ping->body, "pong") << "the HEAD answer carried bytes of the file";
}

TEST(FileServer, ClientsLeavingInTheMiddleOfAFileDoNotStopTheServer) {
  FileServer server;
  for (int i = 0; i < 20; ++i) {
    RawSocket socket = server.connect();
    ASSERT_TRUE(socket.send(get("/static/huge.bin")));
    ASSERT_GT(socket.read_some(4096), 0u);
    // Closed with 16 MiB unread: the kernel resets the connection under the server's sendfile.
  }
  RawSocket after = server.connect();
  ASSERT_TRUE(after.send(get("/ping") + get("/sigpipe")));
  auto answers = after.read_responses(2);
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[0].body, "pong");
  EXPECT_EQ(answers[1].body, "blocked") << "a worker thread would die of SIGPIPE in sendfile";
}

TEST(FileServer, TraversalOnTheWireIsRefused) {
  FileServer server;
  for (const char* target : {"/static/../secret", "/static/%2e%2e/secret", "/static/..%2fsecret",
                             "/static/%2e%2e%2fsecret", "/static/../../../etc/passwd"}) {
    SCOPED_TRACE(target);
    RawSocket socket = server.connect();
    ASSERT_TRUE(socket.send(get(target, "Connection: close\r\n")));
    std::optional<RawResponse> r = socket.read_response();
    ASSERT_TRUE(r);
    EXPECT_GE(r->status, 400);
    EXPECT_LT(r->status, 500);
    socket.wait_closed();
    EXPECT_EQ(r->body.find(kSecret), std::string::npos);
    EXPECT_EQ(socket.buffered().find(kSecret), std::string::npos);
  }
}

}  // namespace
