// sloe::logger(): one access line per request, in text or JSON, escaped, with the ids that tie
// it to everything else logged about the request.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

#include <algorithm>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using sloe::Context;
using sloe::testing::Client;

// An output that keeps every line, as a user's own LogOutput would.
class Lines : public sloe::LogOutput {
 public:
  void write(std::string_view line) override {
    std::lock_guard lock(mutex_);
    text_.append(line);
    ++count_;
  }
  std::string text() const {
    std::lock_guard lock(mutex_);
    return text_;
  }
  int count() const {
    std::lock_guard lock(mutex_);
    return count_;
  }

 private:
  mutable std::mutex mutex_;
  std::string text_;
  int count_ = 0;
};

struct LoggedApp {
  std::shared_ptr<Lines> lines = std::make_shared<Lines>();
  sloe::Engine app;
  explicit LoggedApp(sloe::LoggerOptions options = {}) {
    options.output = lines;
    app.use(sloe::logger(std::move(options)));
  }
};

TEST(Logger, OneAccessLinePerRequestInGinsColumns) {
  LoggedApp logged;
  logged.app.get("/user/:id", [](Context& c) { c.string(201, "x"); });
  Client client(logged.app);
  client.get("/user/7?x=1", {{"X-Request-ID", "r-7"}});
  client.get("/missing");
  std::string text = logged.lines->text();
  EXPECT_EQ(logged.lines->count(), 2) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2) << text;
  std::string first = text.substr(0, text.find('\n'));
  // "[sloe] 2026/12/01 - 08:00:00 | 201 |     0.012ms |      192.0.2.10 | GET ..."
  EXPECT_TRUE(first.starts_with("[sloe] 20")) << first;
  EXPECT_EQ(first.substr(17, 3), " - ") << first;
  EXPECT_NE(first.find(" | 201 | "), std::string::npos) << first;
  EXPECT_NE(first.find("ms |      192.0.2.10 | GET     \"/user/7?x=1\" request_id=r-7"),
            std::string::npos)
      << first;
  EXPECT_NE(text.find(" | 404 | "), std::string::npos) << text;
}

// The access line's client-controlled fields are escaped nginx-style: one request can never
// make more than one line, nor hide bytes a terminal or log shipper would act on.
TEST(Logger, ClientDataOnTheAccessLineIsEscaped) {
  struct Case {
    std::string_view target;
    std::string_view logged;  // what the line shows between the quotes
  };
  const Case cases[] = {
      {"/a%0aGET%20/forged", R"(/a\x0AGET /forged)"},
      {"/a%0d%0aX", R"(/a\x0D\x0AX)"},
      {"/nul%00.txt", R"(/nul\x00.txt)"},
      {"/say%22hi%22", R"(/say\x22hi\x22)"},
      {"/back%5cslash", R"(/back\x5Cslash)"},
      {"/esc%1b[31m%7f", R"(/esc\x1B[31m\x7F)"},
      {"/caf%C3%A9", R"(/caf\xC3\xA9)"},
      // The query is logged as sent: still percent-encoded, so nothing in it needs escaping
      // but the quote a client may put there raw.
      {"/q?x=%0a&y=%00", R"(/q?x=%0a&y=%00)"},
      {"/q?x=\"quoted\"", R"(/q?x=\x22quoted\x22)"},
  };
  for (const Case& test : cases) {
    SCOPED_TRACE(test.target);
    LoggedApp logged;
    logged.app.get("/*any", [](Context& c) { c.string(200, "ok"); });
    Client client(logged.app);
    EXPECT_EQ(client.get(test.target).status, 200);
    std::string text = logged.lines->text();
    EXPECT_NE(text.find(fmt::format("GET     \"{}\"", test.logged)), std::string::npos) << text;
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
    ASSERT_FALSE(text.empty());
    EXPECT_TRUE(
        std::all_of(text.begin(), text.end() - 1, [](char ch) { return ch >= 0x20 && ch < 0x7F; }))
        << "a raw control or 8-bit byte reached the log: " << text;
  }
}

TEST(Logger, ErrorsJoinTheAccessLineEscaped) {
  LoggedApp logged;
  logged.app.get("/*any", [](Context& c) {
    c.error(std::string("bad value \"") + std::string(c.path()) + "\"");
    c.error("second");
    c.string(400, "no");
  });
  Client client(logged.app);
  client.get("/x%0a[sloe]%20forged");
  std::string text = logged.lines->text();
  EXPECT_NE(text.find(R"( error="bad value \x22/x\x0A[sloe] forged\x22" error="second")"),
            std::string::npos)
      << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
}

TEST(Logger, RequestsAnsweredLaterAreLoggedWithTheirFinalStatus) {
  LoggedApp logged;
  logged.app.get("/deferred", [](Context& c) {
    std::thread([r = c.defer()]() mutable { r.status(201); }).detach();
  });
  logged.app.get("/coro", [](Context& c) -> sloe::Task<> {
    co_await sloe::sleep_for(c.scope(), std::chrono::milliseconds(1));
    c.string(202, "done");
  });
  Client client(logged.app);
  EXPECT_EQ(client.get("/deferred").status, 201);
  EXPECT_EQ(client.get("/coro").status, 202);
  std::string text = logged.lines->text();
  EXPECT_NE(text.find(" 201 |"), std::string::npos) << text;
  EXPECT_NE(text.find(" 202 |"), std::string::npos) << text;
  EXPECT_EQ(text.find(" 200 |"), std::string::npos) << text;  // nothing logged before the answer
}

TEST(Logger, SkipPathsAreNotLogged) {
  LoggedApp logged({.skip_paths = {"/healthz", "/metrics"}});
  logged.app.get("/healthz", [](Context& c) { c.string(200, "ok"); });
  logged.app.get("/metrics", [](Context& c) { c.string(200, "# none"); });
  logged.app.get("/api", [](Context& c) { c.string(200, "api"); });
  Client client(logged.app);
  client.get("/healthz");
  client.get("/metrics?x=1");
  client.get("/api");
  client.get("/healthz/more");  // only the exact path is skipped
  std::string text = logged.lines->text();
  EXPECT_EQ(logged.lines->count(), 2) << text;
  EXPECT_NE(text.find("\"/api\""), std::string::npos) << text;
  EXPECT_NE(text.find("404 | "), std::string::npos) << text;
}

TEST(Logger, JsonLinesParseAndCarryEveryField) {
  LoggedApp logged({.format = sloe::LogFormat::json});
  logged.app.get("/orders/:id", [](Context& c) {
    c.error("slow \"backend\"");
    c.string(200, "order {}", c.param("id"));
  });
  Client client(logged.app);
  client.get("/orders/7%0a%C3%A9?expand=1",
             {{"X-Request-ID", "r-json"},
              {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}});
  std::string text = logged.lines->text();
  ASSERT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
  EXPECT_TRUE(std::all_of(text.begin(), text.end() - 1, [](char ch) {
    return ch >= 0x20 && ch < 0x7F;
  })) << text;
  nlohmann::json line = nlohmann::json::parse(text);
  EXPECT_EQ(line["status"], 200);
  EXPECT_EQ(line["method"], "GET");
  // Each escaped byte is the code point of its value, as the text format writes \xHH.
  EXPECT_EQ(line["path"], "/orders/7\n\u00C3\u00A9");
  EXPECT_EQ(line["query"], "expand=1");
  EXPECT_EQ(line["route"], "/orders/:id");
  EXPECT_EQ(line["client_ip"], "192.0.2.10");
  EXPECT_EQ(line["bytes_out"], std::string("order 7\n\xC3\xA9").size());
  EXPECT_EQ(line["request_id"], "r-json");
  EXPECT_EQ(line["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(line["span_id"], "");
  EXPECT_EQ(line["errors"], nlohmann::json::array({"slow \"backend\""}));
  EXPECT_GE(line["latency_ms"].get<double>(), 0.0);
  std::string time = line["time"];
  ASSERT_EQ(time.size(), std::string("2026-12-01T08:00:00.123456Z").size()) << time;
  EXPECT_EQ(time[10], 'T');
  EXPECT_EQ(time.back(), 'Z');
}

// A spdlog destination stamps the time itself; the line leaves its own out.
TEST(Logger, ThroughSpdlogTheLineHasNoSecondTimestamp) {
  struct Stamping : Lines {
    bool stamps_time() const override { return true; }
  };
  auto stamping = std::make_shared<Stamping>();
  sloe::Engine app;
  app.use(sloe::logger({.output = stamping}));
  app.get("/", [](Context& c) { c.string(200, "ok"); });
  Client client(app);
  client.get("/");
  EXPECT_TRUE(stamping->text().starts_with("[sloe] 200 | ")) << stamping->text();
}

}  // namespace
