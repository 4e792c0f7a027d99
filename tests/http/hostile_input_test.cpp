// Mutated and random request streams: the server must answer each with well-formed responses
// or close the connection, never crash or corrupt a later request. Run under ASan and UBSan by
// scripts/test, where a stray read or overflow in the parser fails the test.
#include <gtest/gtest.h>
#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

#include <random>
#include <string>
#include <vector>

namespace {

using sloe::testing::Client;

const std::vector<std::string> kValidStreams = {
    "GET /ping HTTP/1.1\r\nHost: t\r\n\r\n",
    "GET /user/42?x=1&y=%20z HTTP/1.1\r\nHost: t\r\nCookie: a=b; c=d\r\n\r\n",
    "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello",
    "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
    "5\r\nhello\r\n3;ext=1\r\n!!!\r\n0\r\nTrailer: x\r\n\r\n",
    "POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok",
    "GET /ping HTTP/1.0\r\n\r\n",
    "GET /ping HTTP/1.1\r\nHost: t\r\n\r\nGET /user/7 HTTP/1.1\r\nHost: t\r\n\r\n"
    "HEAD /ping HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
};

// Bytes that matter to an HTTP parser, and some that should never appear.
const std::string kNastyBytes =
    std::string("\r\n :;,%/?#=&\t\"\\\x7f\x80\xff\x00", 20) + "0123456789abcdefABCDEFxX-";

std::string mutated(std::string stream, std::mt19937& random) {
  const int edits = 1 + static_cast<int>(random() % 4);
  for (int i = 0; i < edits && !stream.empty(); ++i) {
    const std::size_t at = random() % stream.size();
    const char nasty = kNastyBytes[random() % kNastyBytes.size()];
    switch (random() % 6) {
      case 0:
        stream[at] = nasty;
        break;
      case 1:
        stream.insert(at, 1, nasty);
        break;
      case 2:
        stream.erase(at, 1 + random() % 8);
        break;
      case 3:
        stream.insert(at, stream.substr(at, 1 + random() % 16));
        break;
      case 4:
        stream.resize(at);
        break;
      case 5:
        stream.insert(at, std::string(random() % 3000, nasty));
        break;
    }
  }
  return stream;
}

sloe::Engine hostile_input_engine() {
  sloe::EngineOptions options;
  options.max_body_bytes = 1024;
  sloe::Engine app(options);
  app.get("/ping", [](sloe::Context& c) { c.string(200, "pong"); });
  app.get("/user/:id", [](sloe::Context& c) {
    c.json(200, {{"id", c.param("id")}, {"x", c.query("x")}, {"a", c.cookie("a").value_or("")}});
  });
  app.post("/echo", [](sloe::Context& c) { c.data(200, "text/plain", c.body()); });
  return app;
}

TEST(HostileInput, MutatedRequestsGetWellFormedAnswersOrAClose) {
  sloe::Engine app = hostile_input_engine();
  Client client(app);
  std::mt19937 random(20261125);
  for (int round = 0; round < 4000; ++round) {
    const std::string& valid = kValidStreams[random() % kValidStreams.size()];
    const std::string input = mutated(valid, random);
    sloe::testing::Exchange exchange;
    // The client parses what the server wrote and throws on a malformed response.
    ASSERT_NO_THROW(exchange = client.raw(input)) << "round " << round;
    for (std::size_t i = 0; i < exchange.responses.size(); ++i) {
      const auto& response = exchange.responses[i];
      ASSERT_GE(response.status, 100) << "round " << round;
      ASSERT_LE(response.status, 599) << "round " << round;
      if (response.status >= 400 && response.status != 404 && response.status != 405) {
        // A request the server refused ends the connection: nothing after it is read.
        EXPECT_EQ(i + 1, exchange.responses.size()) << "round " << round;
        EXPECT_TRUE(exchange.closed) << "round " << round;
        EXPECT_FALSE(response.body.empty()) << "a refusal says why; round " << round;
      }
    }
  }
  // The engine is unharmed: a clean request still gets its answer.
  const auto after = client.get("/user/9?x=y");
  EXPECT_EQ(after.status, 200);
  EXPECT_EQ(after.body, R"({"a":"","id":"9","x":"y"})");
}

TEST(HostileInput, RandomBytesNeverCrashTheParser) {
  sloe::Engine app = hostile_input_engine();
  Client client(app);
  std::mt19937 random(7);
  for (int round = 0; round < 2000; ++round) {
    std::string input(random() % 600, '\0');
    for (char& byte : input) {
      byte =
          random() % 2 ? kNastyBytes[random() % kNastyBytes.size()] : static_cast<char>(random());
    }
    if (random() % 2) input.insert(0, "GET /ping HTTP/1.1\r\n");
    sloe::testing::Exchange exchange;
    ASSERT_NO_THROW(exchange = client.raw(input)) << "round " << round;
    for (const auto& response : exchange.responses) {
      ASSERT_GE(response.status, 100) << "round " << round;
      ASSERT_LE(response.status, 599) << "round " << round;
    }
  }
  EXPECT_EQ(client.get("/ping").body, "pong");
}

}  // namespace
