// Every byte the server holds for a request counts against a limit. A hostile client that
// sends framing that never ends (a chunk extension, leading zeros in a chunk size, spaces in a
// trailer value, one-byte chunks) is refused long before it could grow the server, and many
// such clients at once leave the server's memory flat.
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "../support/raw_socket.hpp"
#include "sloe/context/context.hpp"
#include "sloe/engine.hpp"

namespace {

using namespace std::chrono_literals;
using sloe::test::RawResponse;
using sloe::test::RawSocket;

long resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * ::sysconf(_SC_PAGESIZE);
}

struct Attack {
  const char* name;
  std::string opening;  // the bytes that start the hostile part
  char filler;          // then this byte, forever
  int status;           // the refusal
};

const std::string kChunkedPost =
    "POST /body HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";

const Attack kAttacks[] = {
    {"endless chunk extension", kChunkedPost + "1;a=", 'x', 400},
    {"endless leading zeros", kChunkedPost + "0", '0', 400},
    {"endless trailer value", kChunkedPost + "0\r\nX-Pad: a", ' ', 431},
};

TEST(MemoryCeiling, EndlessFramingIsRefusedEarlyWithFlatMemory) {
  sloe::EngineOptions options;
  options.threads = 2;
  options.handle_signals = false;
  sloe::Engine app(options);
  app.post("/body", [](sloe::Context& c) { c.string(200, "{}", c.body().size()); });
  app.start("127.0.0.1:0");

  constexpr int kConnections = 100;
  constexpr std::size_t kPiece = 64 * 1024;
  constexpr std::size_t kGiveUp = 64u << 20;
  std::vector<RawSocket> sockets;
  for (int i = 0; i < kConnections; ++i) {
    sockets.emplace_back(app.port());
    ASSERT_TRUE(sockets.back().send(kAttacks[i % 3].opening));
  }
  const long before = resident_bytes();

  // Every connection pushes its filler a piece at a time, round after round, all of them open
  // at once, until the server answers or 64 MiB went out.
  std::vector<std::size_t> pushed(kConnections, 0);
  std::vector<std::optional<RawResponse>> answers(kConnections);
  std::vector<bool> done(kConnections, false);
  for (bool pushing = true; pushing;) {
    pushing = false;
    for (int i = 0; i < kConnections; ++i) {
      if (done[i]) continue;
      const std::string piece(kPiece, kAttacks[i % 3].filler);
      const bool sent = sockets[i].send(piece);
      if (sent) pushed[i] += kPiece;
      // A send that fails means the server closed: its answer is already on the way.
      answers[i] = sockets[i].read_response(sent ? 0ms : 2000ms);
      done[i] = answers[i] || !sent || pushed[i] >= kGiveUp;
      pushing = true;
    }
  }
  const long grown = resident_bytes() - before;

  for (int i = 0; i < kConnections; ++i) {
    SCOPED_TRACE(kAttacks[i % 3].name);
    ASSERT_TRUE(answers[i]) << "connection " << i << " got no answer after " << pushed[i]
                            << " bytes";
    EXPECT_EQ(answers[i]->status, kAttacks[i % 3].status) << answers[i]->body;
    // Kernel socket buffers take some bytes before the refusal is read; the server itself
    // refuses within a few KiB.
    EXPECT_LT(pushed[i], 8u << 20) << "refused only after " << pushed[i] << " bytes";
  }
  EXPECT_LT(grown, 50l << 20) << "the server grew by " << (grown >> 20) << " MiB";
  RecordProperty("rss_growth_kib", static_cast<int>(grown >> 10));
  app.shutdown(0ms);
}

TEST(MemoryCeiling, ChunkFramingCountsAgainstTheBodyLimit) {
  // One-byte chunks are six bytes held per byte of data: the body limit bounds what is held,
  // not only the decoded data, so the server never holds more than it promised.
  sloe::EngineOptions options;
  options.threads = 1;
  options.handle_signals = false;
  options.max_body_bytes = 6000;
  sloe::Engine app(options);
  app.post("/body", [](sloe::Context& c) { c.string(200, "{}", c.body().size()); });
  app.start("127.0.0.1:0");

  std::string within = kChunkedPost;
  for (int i = 0; i < 900; ++i) within += "1\r\nx\r\n";
  within += "0\r\n\r\n";
  RawSocket socket(app.port());
  ASSERT_TRUE(socket.send(within));
  std::optional<RawResponse> r = socket.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "900");

  std::string beyond = kChunkedPost;
  for (int i = 0; i < 1100; ++i) beyond += "1\r\nx\r\n";
  beyond += "0\r\n\r\n";
  RawSocket second(app.port());
  ASSERT_TRUE(second.send(beyond));
  r = second.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413) << r->body;
  EXPECT_TRUE(second.wait_closed());
  app.shutdown(0ms);
}

}  // namespace
