// sloe::gzip(): what is compressed (and decompresses to the original), what is sent as it is,
// Accept-Encoding with its q-values, Vary, and answers made after the chain returned.

#include <gtest/gtest.h>
#include <zlib.h>

#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

#include <optional>
#include <random>
#include <string>
#include <thread>

#include "../support/raw_socket.hpp"
#include "../support/temp_tree.hpp"

namespace {

using namespace std::chrono_literals;
using sloe::Context;
using sloe::testing::Client;
using sloe::testing::Headers;

// The bytes of a gzip member, or nullopt when they are not exactly one valid member.
std::optional<std::string> gunzip(std::string_view compressed) {
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 16) != Z_OK) return std::nullopt;
  std::string out;
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    char buffer[16384];
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof buffer;
    rc = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - stream.avail_out);
  }
  const bool whole = rc == Z_STREAM_END && stream.avail_in == 0;
  inflateEnd(&stream);
  if (!whole) return std::nullopt;
  return out;
}

// Text that compresses well, and is well above the default minimum size.
std::string text_body(std::size_t lines = 200) {
  std::string body;
  for (std::size_t i = 0; i < lines; ++i) body += "line " + std::to_string(i) + " of the answer\n";
  return body;
}

std::string random_bytes(std::size_t size) {
  std::mt19937 random(7);
  std::string out(size, '\0');
  for (char& ch : out) ch = static_cast<char>(random());
  return out;
}

const Headers kAcceptsGzip{{"Accept-Encoding", "gzip, deflate, br"}};

bool varies_by_encoding(const sloe::testing::Response& r) {
  return r.header("Vary").find("Accept-Encoding") != std::string_view::npos;
}

TEST(Gzip, ACompressibleBodyIsCompressedAndDecompressesToTheOriginal) {
  const std::string body = text_body();
  sloe::Engine app;
  app.use(sloe::gzip());
  app.get("/text", [&](Context& c) { c.string(200, body); });
  app.get("/json", [&](Context& c) { c.json(200, {{"text", body}}); });
  app.get("/svg", [&](Context& c) { c.data(200, "image/svg+xml", body); });
  Client client(app);
  for (std::string_view target : {"/text", "/json", "/svg"}) {
    SCOPED_TRACE(target);
    auto plain = client.get(target);
    auto r = client.get(target, kAcceptsGzip);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Content-Encoding"), "gzip");
    EXPECT_EQ(r.header("Content-Length"), std::to_string(r.body.size()));
    EXPECT_LT(r.body.size(), plain.body.size() / 4);
    EXPECT_EQ(gunzip(r.body), plain.body);
    EXPECT_TRUE(varies_by_encoding(r));
    // The same answer to a client that does not ask for gzip: identity, but Vary all the same.
    EXPECT_EQ(plain.header("Content-Encoding"), "");
    EXPECT_TRUE(varies_by_encoding(plain));
  }
}

TEST(Gzip, AcceptEncodingIsReadWithItsQValues) {
  struct Case {
    std::string_view accept_encoding;
    bool gzip;
  };
  const Case cases[] = {
      {"gzip", true},
      {"GZip", true},
      {"x-gzip", true},
      {"deflate, gzip;q=0.5", true},
      {"gzip;q=1.0", true},
      {"gzip ; q=0.001", true},
      {"gzip;Q=0.5", true},
      {"gzip;level=9;q=0.2", true},
      {"*", true},
      {"br;q=1, *;q=0.1", true},
      {",, gzip ,,", true},
      {"gzip;q=0", false},
      {"gzip;q=0.000", false},
      {"gzip;q=0, *", false},
      {"*, gzip;q=0", false},
      {"*;q=0", false},
      {"identity", false},
      {"deflate, br", false},
      {"gzipper", false},
      {"", false},
      // Malformed weights refuse gzip: the client gets the identity it can surely read.
      {"gzip;q=1.5", false},
      {"gzip;q=2", false},
      {"gzip;q=abc", false},
      {"gzip;q=0.0001", false},
      {"gzip;q=", false},
      {"gzip;q=-1", false},
  };
  const std::string body = text_body();
  sloe::Engine app;
  app.use(sloe::gzip());
  app.get("/", [&](Context& c) { c.string(200, body); });
  Client client(app);
  for (const Case& test : cases) {
    SCOPED_TRACE(test.accept_encoding);
    auto r = client.get("/", {{"Accept-Encoding", std::string(test.accept_encoding)}});
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Content-Encoding"), test.gzip ? "gzip" : "");
    EXPECT_EQ(test.gzip ? gunzip(r.body) : r.body, body);
    EXPECT_TRUE(varies_by_encoding(r));
  }
}

TEST(Gzip, AnswersItShouldNotTouchAreSentAsTheyAre) {
  const std::string body = text_body();
  sloe::test::TempTree files;
  files.write("page.html", body);
  sloe::Engine app;
  app.use(sloe::gzip());
  app.get("/small", [](Context& c) { c.string(200, std::string(1023, 'a')); });
  app.get("/png", [&](Context& c) { c.data(200, "image/png", body); });
  app.get("/untyped", [&](Context& c) {
    c.write(body);  // no Content-Type: nothing says what it is
  });
  app.get("/encoded", [&](Context& c) {
    c.header("Content-Encoding", "br");
    c.data(200, "text/plain", body);
  });
  app.get("/partial", [&](Context& c) {
    c.header("Content-Range", "bytes 0-99/5000");
    c.data(206, "text/plain", body);
  });
  app.get("/no-content", [&](Context& c) { c.string(204, body); });
  app.get("/not-modified", [&](Context& c) { c.string(304, body); });
  app.get("/file", [&](Context& c) { c.file(files.path("page.html")); });
  app.static_dir("/static", files.path());
  app.get("/stream", [&](Context& c) {
    auto n = std::make_shared<int>(0);
    c.header("Content-Type", "text/plain");
    c.stream([&, n](Context& c) {
      c.write(body);
      return ++*n < 3;
    });
  });
  app.get("/events", [&](Context& c) -> sloe::Task<> {
    for (int n = 0; n < 3; ++n) co_await c.sse_event("tick", body);
  });
  struct Case {
    std::string_view target;
    int status;
  };
  const Case cases[] = {
      {"/small", 200},         // below min_size
      {"/png", 200},           // compressed already
      {"/untyped", 200},       // nothing says what it is
      {"/encoded", 200},       // has a Content-Encoding of its own
      {"/partial", 206},       // a range of other bytes
      {"/no-content", 204},    // no body
      {"/not-modified", 304},  // no body
      {"/file", 200},          // sendfile
      {"/static/page.html", 200},
      {"/stream", 200},  // leaves part by part
      {"/events", 200},
  };
  Client client(app);
  for (const Case& test : cases) {
    SCOPED_TRACE(test.target);
    auto r = client.get(test.target, kAcceptsGzip);
    EXPECT_EQ(r.status, test.status);
    EXPECT_NE(r.header("Content-Encoding"), "gzip");
    EXPECT_FALSE(varies_by_encoding(r)) << "Accept-Encoding changed nothing";
    if (test.target == "/file" || test.target == "/static/page.html") {
      EXPECT_EQ(r.body, body);
      EXPECT_EQ(r.header("Content-Length"), std::to_string(body.size()));
    }
    if (test.target == "/stream") {
      EXPECT_EQ(r.body, body + body + body);
    }
  }
  // A file's range stays a range of the file's bytes.
  auto range = client.get("/file", {{"Accept-Encoding", "gzip"}, {"Range", "bytes=0-9"}});
  EXPECT_EQ(range.status, 206);
  EXPECT_EQ(range.body, body.substr(0, 10));
}

TEST(Gzip, HeadIsNotCompressedButVariesLikeItsGet) {
  const std::string body = text_body();
  sloe::Engine app;
  app.use(sloe::gzip());
  app.get("/", [&](Context& c) { c.string(200, body); });
  Client client(app);
  auto r = client.head("/", kAcceptsGzip);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Encoding"), "");
  EXPECT_EQ(r.header("Content-Length"), std::to_string(body.size()));
  EXPECT_TRUE(varies_by_encoding(r));
}

TEST(Gzip, BodiesMadeAfterTheChainReturnedAreCompressed) {
  const std::string body = text_body();
  sloe::Engine app;
  app.use(sloe::gzip());
  app.get("/coroutine", [&](Context& c) -> sloe::Task<> {
    co_await sloe::sleep_for(c.scope(), 1ms);
    c.string(200, body);
  });
  app.get("/deferred", [&](Context& c) {
    std::thread([answer = c.defer(), &body]() mutable { answer.string(200, body); }).detach();
  });
  Client client(app);
  for (std::string_view target : {"/coroutine", "/deferred"}) {
    SCOPED_TRACE(target);
    auto r = client.get(target, kAcceptsGzip);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Content-Encoding"), "gzip");
    EXPECT_EQ(gunzip(r.body), body);
  }
}

TEST(Gzip, AStrongETagBecomesWeak) {
  const std::string body = text_body();
  sloe::Engine app;
  app.use(sloe::gzip());
  app.get("/strong", [&](Context& c) {
    c.header("ETag", "\"v1\"");
    c.string(200, body);
  });
  app.get("/weak", [&](Context& c) {
    c.header("ETag", "W/\"v1\"");
    c.string(200, body);
  });
  Client client(app);
  EXPECT_EQ(client.get("/strong", kAcceptsGzip).header("ETag"), "W/\"v1\"");
  EXPECT_EQ(client.get("/strong").header("ETag"), "\"v1\"") << "identity keeps it strong";
  EXPECT_EQ(client.get("/weak", kAcceptsGzip).header("ETag"), "W/\"v1\"");
}

TEST(Gzip, ABodyGzipWouldNotShrinkIsSentAsItIs) {
  const std::string noise = random_bytes(8192);
  sloe::Engine app;
  app.use(sloe::gzip());
  app.get("/", [&](Context& c) { c.data(200, "text/plain", noise); });
  Client client(app);
  auto r = client.get("/", kAcceptsGzip);
  EXPECT_EQ(r.header("Content-Encoding"), "");
  EXPECT_EQ(r.body, noise);
  EXPECT_TRUE(varies_by_encoding(r));
}

TEST(Gzip, OptionsChooseTypesSizeAndLevel) {
  const std::string body = text_body();
  sloe::Engine app;
  app.use(sloe::gzip({.level = 1, .min_size = 10, .types = {"application/x-ndjson"}}));
  app.get("/ndjson", [&](Context& c) { c.data(200, "application/x-ndjson; charset=utf-8", body); });
  app.get("/tiny", [](Context& c) { c.data(200, "application/x-ndjson", "0123456789"); });
  app.get("/text", [&](Context& c) { c.string(200, body); });
  Client client(app);
  auto ndjson = client.get("/ndjson", kAcceptsGzip);
  EXPECT_EQ(ndjson.header("Content-Encoding"), "gzip");
  EXPECT_EQ(gunzip(ndjson.body), body);
  EXPECT_TRUE(varies_by_encoding(client.get("/tiny", kAcceptsGzip)));
  EXPECT_EQ(client.get("/text", kAcceptsGzip).header("Content-Encoding"), "");
  EXPECT_THROW(sloe::gzip({.level = 0}), std::invalid_argument);
  EXPECT_THROW(sloe::gzip({.level = 10}), std::invalid_argument);
}

TEST(Gzip, VaryKeepsWhatTheHandlerAndOtherMiddlewareListed) {
  const std::string body = text_body();
  struct Case {
    std::string_view handler_vary;
    std::string_view sent_vary;
  };
  const Case cases[] = {
      // gzip() was added after cors(): its hook runs first.
      {"", "Accept-Encoding, Origin"},
      {"Cookie", "Cookie, Accept-Encoding, Origin"},
      {"accept-encoding", "accept-encoding, Origin"},
      {"*", "*"},
  };
  for (const Case& test : cases) {
    SCOPED_TRACE(test.handler_vary);
    sloe::Engine app;
    app.use(sloe::cors({.allow_origins = {"https://app.example.com"}}), sloe::gzip());
    app.get("/", [&](Context& c) {
      c.header("Vary", test.handler_vary);
      c.string(200, body);
    });
    Client client(app);
    auto r = client.get("/", {{"Accept-Encoding", "gzip"}, {"Origin", "https://app.example.com"}});
    EXPECT_EQ(r.header("Content-Encoding"), "gzip");
    EXPECT_EQ(r.header("Vary"), test.sent_vary);
  }
}

TEST(Gzip, HugeAndMalformedAcceptEncodingNeverCrash) {
  const std::string body = text_body();
  sloe::Engine app;
  app.use(sloe::gzip());
  app.get("/", [&](Context& c) { c.string(200, body); });
  Client client(app);
  std::string many_elements;
  for (int i = 0; i < 1500; ++i) many_elements += "x;q=0.5,";
  std::string many_parameters = "gzip";
  for (int i = 0; i < 1500; ++i) many_parameters += ";a=b";
  const std::string values[] = {
      many_elements,           many_parameters,
      std::string(12000, ','), std::string(12000, ';'),
      "gzip;q=;q=;q=",         ";;;;=;=;q",
      "gzip;q=0.5=1",          "\"gzip\"",
      "gzip;q=\"1\"",          std::string("gzip\xff\xfe"),
  };
  for (const std::string& value : values) {
    SCOPED_TRACE(value.substr(0, 40));
    auto r = client.get("/", {{"Accept-Encoding", value}});
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Content-Encoding") == "gzip" ? gunzip(r.body) : r.body, body);
  }
}

TEST(Gzip, OverARealSocket) {
  const std::string body = text_body(2000);
  sloe::EngineOptions options;
  options.threads = 1;
  sloe::Engine app(options);
  app.use(sloe::gzip());
  app.get("/", [&](Context& c) { c.string(200, body); });
  app.start("127.0.0.1:0");
  sloe::test::RawSocket socket(app.port());
  socket.send(
      "GET / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n"
      "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  auto answers = socket.read_responses(2);
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[0].header("Content-Encoding"), "gzip");
  EXPECT_EQ(gunzip(answers[0].body), body);
  EXPECT_EQ(answers[1].header("Content-Encoding"), "");
  EXPECT_EQ(answers[1].body, body);
  app.shutdown(1s);
}

}  // namespace
