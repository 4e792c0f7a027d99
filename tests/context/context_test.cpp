#include <gtest/gtest.h>
#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

namespace {

using sloe::Context;
using sloe::testing::Client;

// Each case registers one route whose handler answers with what the accessor under test saw.
struct AccessorCase {
  const char* name;
  const char* route;
  const char* target;
  sloe::testing::Headers headers;
  std::function<std::string(Context&)> read;
  const char* expected;
};

TEST(Context, RequestAccessorsReadWhatTheClientSent) {
  const AccessorCase cases[] = {
      {"param",
       "/user/:id",
       "/user/42",
       {},
       [](Context& c) { return std::string(c.param("id")); },
       "42"},
      {"missing param",
       "/user/:id",
       "/user/42",
       {},
       [](Context& c) { return std::string(c.param("nope")); },
       ""},
      {"catch-all param",
       "/files/*path",
       "/files/a/b.txt",
       {},
       [](Context& c) { return std::string(c.param("path")); },
       "/a/b.txt"},
      {"decoded path param",
       "/user/:id",
       "/user/a%20b",
       {},
       [](Context& c) { return std::string(c.param("id")); },
       "a b"},
      {"full_path",
       "/user/:id",
       "/user/42",
       {},
       [](Context& c) { return std::string(c.full_path()); },
       "/user/:id"},
      {"path",
       "/user/:id",
       "/user/42?x=1",
       {},
       [](Context& c) { return std::string(c.path()); },
       "/user/42"},
      {"method", "/m", "/m", {}, [](Context& c) { return std::string(c.method()); }, "GET"},
      {"query",
       "/q",
       "/q?name=sloe&x=1",
       {},
       [](Context& c) { return std::string(c.query("name")); },
       "sloe"},
      {"query decoded",
       "/q",
       "/q?name=a+b%21",
       {},
       [](Context& c) { return std::string(c.query("name")); },
       "a b!"},
      {"query first of many",
       "/q",
       "/q?a=1&a=2",
       {},
       [](Context& c) { return std::string(c.query("a")); },
       "1"},
      {"query absent",
       "/q",
       "/q?a=1",
       {},
       [](Context& c) { return std::string(c.query("b")); },
       ""},
      {"default_query absent",
       "/q",
       "/q",
       {},
       [](Context& c) { return std::string(c.default_query("b", "dflt")); },
       "dflt"},
      {"default_query present empty",
       "/q",
       "/q?b=",
       {},
       [](Context& c) { return std::string(c.default_query("b", "dflt")); },
       ""},
      {"get_query presence",
       "/q",
       "/q?flag",
       {},
       [](Context& c) { return std::string(c.get_query("flag") ? "yes" : "no"); },
       "yes"},
      {"query_array",
       "/q",
       "/q?a=1&b=x&a=2&a=3",
       {},
       [](Context& c) {
         std::string all;
         for (auto v : c.query_array("a")) all += std::string(v) + ",";
         return all;
       },
       "1,2,3,"},
      {"raw_query",
       "/q",
       "/q?a=%20",
       {},
       [](Context& c) { return std::string(c.raw_query()); },
       "a=%20"},
      {"header case-insensitive",
       "/h",
       "/h",
       {{"X-Thing", "v1"}},
       [](Context& c) { return std::string(c.header("x-thing")); },
       "v1"},
      {"cookie",
       "/c",
       "/c",
       {{"Cookie", "a=1; session=\"abc\"; b=2"}},
       [](Context& c) { return std::string(c.cookie("session").value_or("none")); },
       "abc"},
      {"cookie absent",
       "/c",
       "/c",
       {{"Cookie", "a=1"}},
       [](Context& c) { return std::string(c.cookie("zz").value_or("none")); },
       "none"},
      {"client_ip without trusted proxy ignores X-Forwarded-For",
       "/ip",
       "/ip",
       {{"X-Forwarded-For", "1.2.3.4"}},
       [](Context& c) { return std::string(c.client_ip()); },
       "192.0.2.10"},
      {"content_type without parameters",
       "/ct",
       "/ct",
       {{"Content-Type", "application/json; charset=utf-8"}},
       [](Context& c) { return std::string(c.content_type()); },
       "application/json"},
  };
  for (const AccessorCase& test : cases) {
    SCOPED_TRACE(test.name);
    sloe::Engine app;
    app.get(test.route, [&](Context& c) { c.string(200, test.read(c)); });
    Client client(app);
    auto r = client.get(test.target, test.headers);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, test.expected);
  }
}

TEST(Context, ClientIpBelievesOnlyTrustedProxies) {
  sloe::EngineOptions options;
  options.trusted_proxies = {"192.0.2.10", "10.0.0.2"};
  sloe::Engine app(options);
  app.get("/ip", [](Context& c) { c.string(200, c.client_ip()); });
  Client client(app);
  EXPECT_EQ(client.get("/ip", {{"X-Forwarded-For", "203.0.113.7, 10.0.0.2"}}).body, "203.0.113.7");
  EXPECT_EQ(client.get("/ip", {{"X-Real-IP", "203.0.113.8"}}).body, "203.0.113.8");
  EXPECT_EQ(client.get("/ip").body, "192.0.2.10");
}

TEST(Context, BodyIsReadForPostedData) {
  sloe::Engine app;
  app.post("/echo", [](Context& c) { c.data(200, "application/octet-stream", c.body()); });
  Client client(app);
  auto r = client.post("/echo", "some bytes", "text/plain");
  EXPECT_EQ(r.body, "some bytes");
  EXPECT_EQ(r.header("Content-Type"), "application/octet-stream");
}

TEST(Context, KeysAreSharedAlongTheChainAndTyped) {
  sloe::Engine app;
  app.use([](Context& c) {
    c.set("user", std::string("ada"));
    c.set("level", 3);
    c.next();
  });
  app.get("/", [](Context& c) {
    std::string* user = c.get<std::string>("user");
    int* level = c.get<int>("level");
    bool wrong_type_is_null = c.get<double>("level") == nullptr;
    bool absent_is_null = c.get<int>("nope") == nullptr;
    EXPECT_THROW(c.must_get<int>("nope"), std::out_of_range);
    c.string(200, "{} {} {} {}", user ? *user : "?", level ? *level : -1, wrong_type_is_null,
             absent_is_null);
  });
  Client client(app);
  EXPECT_EQ(client.get("/").body, "ada 3 true true");
}

TEST(Context, ResponseBuilders) {
  sloe::Engine app;
  app.get("/string", [](Context& c) { c.string(201, "n={}", 5); });
  app.get("/json", [](Context& c) { c.json(200, {{"a", 1}, {"b", {1, 2}}}); });
  app.get("/data", [](Context& c) { c.data(200, "image/png", "PNG"); });
  app.get("/header", [](Context& c) {
    c.header("X-One", "1");
    c.header("X-Two", "2");
    c.header("X-One", "uno");
    c.header("X-Two", "");  // removes
    c.status(204);
  });
  app.get("/redirect", [](Context& c) { c.redirect(301, "/elsewhere"); });
  app.get("/bad-redirect", [](Context& c) { c.redirect(200, "/x"); });
  app.get("/bad-status", [](Context& c) { c.status(1000); });
  Client client(app);

  auto s = client.get("/string");
  EXPECT_EQ(s.status, 201);
  EXPECT_EQ(s.body, "n=5");
  EXPECT_EQ(s.header("Content-Type"), "text/plain; charset=utf-8");

  auto j = client.get("/json");
  EXPECT_EQ(j.header("Content-Type"), "application/json; charset=utf-8");
  EXPECT_EQ(j.json(), (sloe::json{{"a", 1}, {"b", {1, 2}}}));

  auto d = client.get("/data");
  EXPECT_EQ(d.header("Content-Type"), "image/png");
  EXPECT_EQ(d.body, "PNG");

  auto h = client.get("/header");
  EXPECT_EQ(h.status, 204);
  EXPECT_EQ(h.header("X-One"), "uno");
  EXPECT_EQ(h.header("X-Two"), "");
  EXPECT_EQ(h.header("Content-Length"), "");  // 204 has no body and no length

  auto r = client.get("/redirect");
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(r.header("Location"), "/elsewhere");

  EXPECT_EQ(client.get("/bad-redirect").status, 500);  // std::invalid_argument → 500
  EXPECT_EQ(client.get("/bad-status").status, 500);
}

TEST(Context, AbortStopsTheChainAndKeepsTheAnswer) {
  sloe::Engine app;
  std::vector<std::string> ran;
  app.use([&](Context& c) {
    ran.push_back("auth");
    if (c.header("Authorization").empty()) {
      c.abort_with_status_json(401, {{"error", "unauthorized"}});
      return;
    }
    c.next();
  });
  app.get("/secret", [&](Context& c) {
    ran.push_back("handler");
    c.string(200, "secret");
  });
  Client client(app);
  auto denied = client.get("/secret");
  EXPECT_EQ(denied.status, 401);
  EXPECT_EQ(denied.json()["error"], "unauthorized");
  EXPECT_EQ(ran, (std::vector<std::string>{"auth"}));
  auto allowed = client.get("/secret", {{"Authorization", "yes"}});
  EXPECT_EQ(allowed.body, "secret");
}

TEST(Context, NextRunsTheRestThenReturnsToTheMiddleware) {
  sloe::Engine app;
  std::string order;
  app.use([&](Context& c) {
    order += "a<";
    c.next();
    order += ">a";
  });
  app.use([&](Context& c) {
    order += "b<";
    c.next();
    order += ">b";
  });
  app.get("/", [&](Context& c) {
    order += "h";
    EXPECT_FALSE(c.is_aborted());
    c.status(204);
  });
  Client client(app);
  client.get("/");
  EXPECT_EQ(order, "a<b<h>b>a");
}

TEST(Context, ErrorsAreCollectedForMiddleware) {
  sloe::Engine app;
  app.use([](Context& c) {
    c.next();
    std::string joined;
    for (const sloe::Error& e : c.errors()) joined += e.message + ";";
    c.header("X-Errors", joined);
  });
  app.get("/", [](Context& c) {
    c.error("first");
    c.error("second");
    c.status(500);
  });
  Client client(app);
  EXPECT_EQ(client.get("/").header("X-Errors"), "first;second;");
}

TEST(Context, CopyOwnsEveryRequestValue) {
  sloe::Engine app;
  sloe::ContextCopy copy;
  app.post("/user/:id", [&](Context& c) {
    c.set("tenant", std::string("t1"));
    copy = c.copy(true);
    c.status(204);
  });
  Client client(app);
  client.post("/user/42?q=a%20b&q=2", "payload", "text/plain", {{"X-Req", "r1"}});
  // The request is over; nothing in the copy may point into its buffers.
  EXPECT_EQ(copy.method(), "POST");
  EXPECT_EQ(copy.path(), "/user/42");
  EXPECT_EQ(copy.full_path(), "/user/:id");
  EXPECT_EQ(copy.param("id"), "42");
  EXPECT_EQ(copy.query("q"), "a b");
  EXPECT_EQ(copy.raw_query(), "q=a%20b&q=2");
  EXPECT_EQ(copy.header("x-req"), "r1");
  EXPECT_EQ(copy.body(), "payload");
  EXPECT_EQ(copy.client_ip(), "192.0.2.10");
  ASSERT_NE(copy.get<std::string>("tenant"), nullptr);
  EXPECT_EQ(*copy.get<std::string>("tenant"), "t1");
  EXPECT_EQ(copy.get<int>("tenant"), nullptr);
}

TEST(Context, CopyWithoutBodyLeavesItEmpty) {
  sloe::Engine app;
  sloe::ContextCopy copy;
  app.post("/", [&](Context& c) {
    copy = c.copy();
    c.status(204);
  });
  Client client(app);
  client.post("/", "payload");
  EXPECT_EQ(copy.body(), "");
}

}  // namespace
