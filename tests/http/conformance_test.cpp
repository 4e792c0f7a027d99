// RFC 9112 conformance as a table, over real sockets: each row is a request as a client sends
// it, the status sloe answers, and whether the connection ends. A connection that stays open
// must then answer a plain request, which proves the row's bytes were framed exactly.
//
// Anchors: nginx and Go's net/http. Where they differ the row says which one sloe follows:
// - a minor version above 1 ("HTTP/1.2") is served as HTTP/1.1 (both do; RFC 9110 §2.5);
// - identical repeated Content-Length is refused (nginx; Go accepts it): one rule, no guessing;
// - "OPTIONS *" gets 200 without running a handler (Go; nginx answers 405);
// - bytes >= 0x80 in the target are accepted (both), CTLs refused (both);
// - bare LF as a line end is refused (neither: both accept it; llhttp does not, and a parser
//   that differs from the front end on line ends is a smuggling risk).
#include <gtest/gtest.h>

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

struct Case {
  const char* name;
  std::string request;
  int status;
  bool closes;
  std::string body = {};  // expected body, when not empty
};

constexpr bool kCloses = true;
constexpr bool kStaysOpen = false;

const std::string kChunkedPost =
    "POST /body HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";

std::string chunked(std::string_view chunks) {
  return kChunkedPost + std::string(chunks);
}

std::string with_header(std::string_view field) {
  return "GET /ping HTTP/1.1\r\nHost: t\r\n" + std::string(field) + "\r\n\r\n";
}

struct ConformanceServer {
  explicit ConformanceServer(sloe::EngineOptions options) : app(std::move(options)) {
    app.get("/ping", [](sloe::Context& c) { c.string(200, "pong"); });
    app.post("/body", [](sloe::Context& c) { c.string(200, "{}", c.body()); });
    app.post("/trailers", [](sloe::Context& c) {
      c.string(200, "{}|{}|{}|{}", c.body(), c.trailer("X-Checksum"), c.header("X-Checksum"),
               c.header("Content-Type"));
    });
    app.handle("BREW", "/pot", [](sloe::Context& c) { c.string(200, "brewing"); });
    app.start("127.0.0.1:0");
  }
  ~ConformanceServer() { app.shutdown(0ms); }
  sloe::Engine app;
};

sloe::EngineOptions options() {
  sloe::EngineOptions o;
  o.threads = 1;
  o.handle_signals = false;
  o.request_ids = false;
  return o;
}

void run_cases(const std::vector<Case>& cases, sloe::EngineOptions o = options()) {
  ConformanceServer server(std::move(o));
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    RawSocket socket(server.app.port());
    ASSERT_TRUE(socket.send(c.request));
    std::optional<RawResponse> r = socket.read_response();
    while (r && r->status == 100) r = socket.read_response();
    ASSERT_TRUE(r) << "no answer";
    EXPECT_EQ(r->status, c.status) << r->body;
    if (!c.body.empty()) {
      EXPECT_EQ(r->body, c.body);
    }
    if (c.closes) {
      if (r->status >= 400) {
        EXPECT_EQ(r->header("Connection"), "close");
      }
      EXPECT_TRUE(socket.wait_closed(2000ms)) << "still open after " << r->status;
    } else {
      ASSERT_TRUE(socket.send("GET /ping HTTP/1.1\r\nHost: t\r\n\r\n"));
      std::optional<RawResponse> next = socket.read_response();
      ASSERT_TRUE(next) << "no answer to the request after it";
      EXPECT_EQ(next->body, "pong") << "the row's bytes were not framed exactly";
    }
  }
}

TEST(Conformance, RequestLine) {
  run_cases({
      {"origin form", "GET /ping HTTP/1.1\r\nHost: t\r\n\r\n", 200, kStaysOpen, "pong"},
      {"empty lines before the request line", "\r\n\r\nGET /ping HTTP/1.1\r\nHost: t\r\n\r\n", 200,
       kStaysOpen, "pong"},
      {"absolute form", "GET http://t/ping HTTP/1.1\r\nHost: t\r\n\r\n", 200, kStaysOpen, "pong"},
      {"absolute form, https, upper case", "GET HTTPS://t/ping HTTP/1.1\r\nHost: t\r\n\r\n", 200,
       kStaysOpen, "pong"},
      {"absolute form with another scheme", "GET ftp://t/ping HTTP/1.1\r\nHost: t\r\n\r\n", 400,
       kCloses},
      {"asterisk form with OPTIONS", "OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n", 200, kStaysOpen},
      {"asterisk form with GET", "GET * HTTP/1.1\r\nHost: t\r\n\r\n", 400, kCloses},
      {"authority form with GET", "GET t:80 HTTP/1.1\r\nHost: t\r\n\r\n", 400, kCloses},
      {"extension method", "BREW /pot HTTP/1.1\r\nHost: t\r\n\r\n", 200, kStaysOpen, "brewing"},
      {"extension method without a route", "BREW /ping HTTP/1.1\r\nHost: t\r\n\r\n", 404,
       kStaysOpen},
      {"lower-case method is another method", "get /ping HTTP/1.1\r\nHost: t\r\n\r\n", 404,
       kStaysOpen},
      {"method with a non-token byte", "GE(T /ping HTTP/1.1\r\nHost: t\r\n\r\n", 400, kCloses},
      {"two spaces after the method", "GET  /ping HTTP/1.1\r\nHost: t\r\n\r\n", 400, kCloses},
      {"space after the version", "GET /ping HTTP/1.1 \r\nHost: t\r\n\r\n", 400, kCloses},
      {"tab as separator", "GET\t/ping HTTP/1.1\r\nHost: t\r\n\r\n", 400, kCloses},
      {"control byte in the target", std::string("GET /pi\x01ng HTTP/1.1\r\nHost: t\r\n\r\n"), 400,
       kCloses},
      {"DEL in the target", "GET /pi\x7fng HTTP/1.1\r\nHost: t\r\n\r\n", 400, kCloses},
      {"UTF-8 in the target", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: t\r\n\r\n", 404, kStaysOpen},
      {"no version (HTTP/0.9)", "GET /ping\r\n\r\n", 400, kCloses},
      {"HTTP/1.0", "GET /ping HTTP/1.0\r\n\r\n", 200, kCloses, "pong"},
      {"HTTP/1.0 keep-alive", "GET /ping HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 200,
       kStaysOpen, "pong"},
      {"HTTP/1.2 is served as HTTP/1.1", "GET /ping HTTP/1.2\r\nHost: t\r\n\r\n", 200, kStaysOpen,
       "pong"},
      {"HTTP/2.0", "GET /ping HTTP/2.0\r\nHost: t\r\n\r\n", 505, kCloses},
      {"HTTP/0.9 spelled out", "GET /ping HTTP/0.9\r\nHost: t\r\n\r\n", 505, kCloses},
      {"two-digit minor version", "GET /ping HTTP/1.10\r\nHost: t\r\n\r\n", 400, kCloses},
      {"lower-case protocol name", "GET /ping http/1.1\r\nHost: t\r\n\r\n", 400, kCloses},
      {"bare CR after the version", "GET /ping HTTP/1.1\rHost: t\r\n\r\n", 400, kCloses},
      {"bare LF after the version", "GET /ping HTTP/1.1\nHost: t\r\n\r\n", 400, kCloses},
      {"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, kCloses},
  });
}

TEST(Conformance, MethodNotAllowedForExtensionMethods) {
  sloe::EngineOptions o = options();
  o.handle_method_not_allowed = true;
  ConformanceServer server(std::move(o));
  RawSocket socket(server.app.port());
  ASSERT_TRUE(socket.send("BREW /ping HTTP/1.1\r\nHost: t\r\n\r\n"));
  std::optional<RawResponse> r = socket.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->header("Allow"), "GET, HEAD");
  ASSERT_TRUE(socket.send("GET /pot HTTP/1.1\r\nHost: t\r\n\r\n"));
  r = socket.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->header("Allow"), "BREW") << "extension methods are listed in Allow too";
}

TEST(Conformance, FieldSyntax) {
  run_cases({
      {"space before the colon", with_header("X-A : v"), 400, kCloses},
      {"tab before the colon", with_header("X-A\t: v"), 400, kCloses},
      {"empty field name", with_header(": v"), 400, kCloses},
      {"space inside a field name", with_header("X A: v"), 400, kCloses},
      {"obsolete line folding", with_header("X-A: one\r\n two"), 400, kCloses},
      {"folding after an empty value", with_header("X-A:\r\n two"), 400, kCloses},
      {"NUL in a value", with_header(std::string("X-A: a\0b", 8)), 400, kCloses},
      {"bare CR in a value", with_header("X-A: a\rb"), 400, kCloses},
      {"bare LF line ends", "GET /ping HTTP/1.1\nHost: t\n\n", 400, kCloses},
      {"tab and obs-text in a value", with_header("X-A: a\tb \xff"), 200, kStaysOpen},
      {"no space after the colon", with_header("X-A:v"), 200, kStaysOpen},
      {"invalid Host", "GET /ping HTTP/1.1\r\nHost: a b\r\n\r\n", 400, kCloses},
      {"Host with a path", "GET /ping HTTP/1.1\r\nHost: a/b\r\n\r\n", 400, kCloses},
      {"Host with userinfo", "GET /ping HTTP/1.1\r\nHost: u@a\r\n\r\n", 400, kCloses},
      {"Host with a port", "GET /ping HTTP/1.1\r\nHost: a.example:8080\r\n\r\n", 200, kStaysOpen},
      {"Host as an IPv6 literal", "GET /ping HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", 200,
       kStaysOpen},
      {"empty Host", "GET /ping HTTP/1.1\r\nHost:\r\n\r\n", 200, kStaysOpen},
      {"no Host in HTTP/1.1", "GET /ping HTTP/1.1\r\n\r\n", 400, kCloses},
      {"two Hosts", "GET /ping HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400, kCloses},
  });
}

TEST(Conformance, Framing) {
  run_cases({
      {"content-length", "POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello", 200,
       kStaysOpen, "hello"},
      {"content-length and transfer-encoding",
       "POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
       "0\r\n\r\n",
       400, kCloses},
      {"identical repeated content-length",
       "POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 400,
       kCloses},
      {"content-length list", "POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 5, 5\r\n\r\nhello",
       400, kCloses},
      {"hex content-length", "POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 0x5\r\n\r\nhello",
       400, kCloses},
      {"chunked", chunked("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"), 200, kStaysOpen,
       "hello world"},
      {"chunked, upper-case coding",
       "POST /body HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: Chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
       200, kStaysOpen, "ok"},
      {"chunked twice",
       "POST /body HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: "
       "chunked\r\n\r\n0\r\n\r\n",
       400, kCloses},
      {"gzip", "POST /body HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n", 501, kCloses},
      {"gzip, chunked",
       "POST /body HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501,
       kCloses},
      {"several chunk extensions", chunked("5;a=b;c=d\r\nhello\r\n0\r\n\r\n"), 200, kStaysOpen,
       "hello"},
      {"whitespace around extension separators", chunked("5 ;a = b\t; c\r\nhello\r\n0\r\n\r\n"),
       200, kStaysOpen, "hello"},
      {"quoted extension value", chunked("5;a=\"q \\\" x\"\r\nhello\r\n0\r\n\r\n"), 200, kStaysOpen,
       "hello"},
      {"leading zeros in a chunk size", chunked("0005\r\nhello\r\n000\r\n\r\n"), 200, kStaysOpen,
       "hello"},
      {"any two bytes after chunk data", chunked("3\r\nabcXY5\r\nhello\r\n0\r\n\r\n"), 400,
       kCloses},
      {"bare LF after chunk data", chunked("3\r\nabc\n0\r\n\r\n"), 400, kCloses},
      {"bare LF after a chunk size", chunked("3\nabc\r\n0\r\n\r\n"), 400, kCloses},
      {"hex prefix in a chunk size", chunked("0x3\r\nabc\r\n0\r\n\r\n"), 400, kCloses},
      {"space before a chunk size", chunked(" 3\r\nabc\r\n0\r\n\r\n"), 400, kCloses},
      {"negative chunk size", chunked("-3\r\nabc\r\n0\r\n\r\n"), 400, kCloses},
      {"unterminated quoted extension", chunked("3;a=\"x\r\nabc\r\n0\r\n\r\n"), 400, kCloses},
      {"extension without a name", chunked("3;=x\r\nabc\r\n0\r\n\r\n"), 400, kCloses},
      {"chunk size beyond any limit", chunked("fffffffffffffffffffff\r\n"), 413, kCloses},
  });
}

TEST(Conformance, TrailersStayApartFromHeaders) {
  const std::string post =
      "POST /trailers HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nTransfer-Encoding: "
      "chunked\r\n\r\n2\r\nok\r\n0\r\n";
  run_cases({
      {"a trailer is read with c.trailer()", post + "X-Checksum: abc\r\n\r\n", 200, kStaysOpen,
       "ok|abc||text/plain"},
      {"a trailer never replaces a header", post + "Content-Type: evil\r\n\r\n", 200, kStaysOpen,
       "ok|||text/plain"},
      {"a trailer Connection: close does not close", post + "Connection: close\r\n\r\n", 200,
       kStaysOpen, "ok|||text/plain"},
      {"folded trailer", post + "X-Checksum: a\r\n b\r\n\r\n", 400, kCloses},
      {"space before a trailer colon", post + "X-Checksum : a\r\n\r\n", 400, kCloses},
      {"trailer without a colon", post + "X-Checksum\r\n\r\n", 400, kCloses},
      {"bare LF in trailers", post + "X-Checksum: a\n\r\n", 400, kCloses},
      {"control byte in a trailer", post + "X-Checksum: a\x01\r\n\r\n", 400, kCloses},
  });
}

TEST(Conformance, TrailerDoesNotSetTheRequestId) {
  sloe::EngineOptions o = options();
  o.request_ids = true;
  ConformanceServer server(std::move(o));
  RawSocket socket(server.app.port());
  ASSERT_TRUE(socket.send(
      "POST /body HTTP/1.1\r\nHost: t\r\nX-Request-ID: from-header\r\nTransfer-Encoding: "
      "chunked\r\n\r\n0\r\nX-Request-ID: forged\r\n\r\n"));
  std::optional<RawResponse> r = socket.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("X-Request-ID"), "from-header");
}

TEST(Conformance, TrailersHaveABudgetOfTheirOwn) {
  sloe::EngineOptions o = options();
  o.max_header_bytes = 1024;
  const std::string big_body(20000, 'b');
  run_cases(
      {
          {"trailer after a body larger than the header budget",
           "POST /trailers HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n4e20\r\n" +
               big_body + "\r\n0\r\nX-Checksum: abc\r\n\r\n",
           200, kStaysOpen, big_body + "|abc||"},
          {"trailer section over its budget",
           chunked("0\r\nX-Pad: " + std::string(1100, 'p') + "\r\n\r\n"), 431, kCloses},
          {"endless spaces in a trailer value", chunked("0\r\nX-Pad: a" + std::string(5000, ' ')),
           431, kCloses},
          {"too many trailer fields",
           chunked("0\r\n" +
                   [] {
                     std::string fields;
                     for (int i = 0; i < 101; ++i) fields += "T" + std::to_string(i) + ": v\r\n";
                     return fields;
                   }() +
                   "\r\n"),
           431, kCloses},
      },
      o);
}

TEST(Conformance, ExpectAndHead) {
  ConformanceServer server(options());
  RawSocket socket(server.app.port());
  ASSERT_TRUE(
      socket.send("POST /body HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nTransfer-Encoding: "
                  "chunked\r\n\r\n"));
  std::optional<RawResponse> interim = socket.read_response();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100) << "a chunked body waits for 100 Continue too";
  ASSERT_TRUE(socket.send("2\r\nok\r\n0\r\n\r\n"));
  std::optional<RawResponse> r = socket.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "ok");

  ASSERT_TRUE(socket.send("HEAD /ping HTTP/1.1\r\nHost: t\r\n\r\n"));
  r = socket.read_response(2000ms, /*head=*/true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("Content-Length"), "4");
  ASSERT_TRUE(socket.send("GET /ping HTTP/1.1\r\nHost: t\r\n\r\n"));
  r = socket.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "pong") << "HEAD sent a body that was read as the next answer";
}

}  // namespace
