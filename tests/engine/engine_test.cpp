#include <gtest/gtest.h>
#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

namespace {

using sloe::Context;
using sloe::testing::Client;

sloe::Handler answer(std::string text) {
  return [text](Context& c) { c.string(200, text); };
}

sloe::Handler tag(std::string name) {
  return [name](Context& c) {
    std::string* trail = c.get<std::string>("trail");
    c.set("trail", (trail ? *trail : std::string()) + name + ">");
    c.next();
  };
}

void answer_with_trail(Context& c) {
  std::string* trail = c.get<std::string>("trail");
  c.string(200, "{}{}", trail ? *trail : std::string(), c.full_path());
}

TEST(Engine, GroupsJoinPrefixesAndRunMiddlewareOutsideIn) {
  sloe::Engine app;
  app.use(tag("global"));
  auto api = app.group("/api", tag("api"));
  auto v1 = api.group("v1/", tag("v1"));
  v1.get("/items/:id", answer_with_trail);
  v1.get("list/", answer_with_trail);
  api.use(tag("late"));  // applies to routes registered after this call only
  api.get("/later", answer_with_trail);
  Client client(app);

  struct Case {
    const char* target;
    int status;
    const char* body;
  } cases[] = {
      {"/api/v1/items/7", 200, "global>api>v1>/api/v1/items/:id"},
      {"/api/v1/list/", 200, "global>api>v1>/api/v1/list/"},
      {"/api/later", 200, "global>api>late>/api/later"},
      {"/v1/items/7", 404, "404 page not found"},
  };
  for (const Case& test : cases) {
    SCOPED_TRACE(test.target);
    auto r = client.get(test.target);
    EXPECT_EQ(r.status, test.status);
    EXPECT_EQ(r.body, test.body);
  }
}

TEST(Engine, MethodsAndAny) {
  sloe::Engine app;
  app.get("/r", answer("get"));
  app.post("/r", answer("post"));
  app.put("/r", answer("put"));
  app.patch("/r", answer("patch"));
  app.del("/r", answer("delete"));
  app.options("/r", answer("options"));
  app.handle("PROPFIND", "/r", answer("propfind"));
  app.handle("BREW", "/r", answer("brew"));  // an extension method: any token, as in Gin
  app.any("/any", [](Context& c) { c.string(200, c.method()); });
  EXPECT_THROW(app.handle("BR EW", "/x", answer("x")), std::invalid_argument);
  EXPECT_THROW(app.handle("", "/x", answer("x")), std::invalid_argument);
  Client client(app);
  for (const char* method :
       {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND", "BREW"}) {
    SCOPED_TRACE(method);
    auto r = client.request(method, "/r");
    EXPECT_EQ(r.status, 200);
    std::string expected = method;
    for (char& ch : expected) ch = static_cast<char>(std::tolower(ch));
    EXPECT_EQ(r.body, expected);
  }
  for (const char* method : {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"}) {
    EXPECT_EQ(client.request(method, "/any").body, method);
  }
  EXPECT_EQ(client.request("brew", "/r").status, 404) << "methods are case-sensitive";
}

TEST(Engine, HeadIsAnsweredByTheGetRouteWithoutBody) {
  sloe::Engine app;
  app.get("/page", answer("0123456789"));
  app.get("/own", answer("get"));
  app.head("/own", [](Context& c) {
    c.header("X-Head", "own");
    c.status(200);
  });
  Client client(app);
  auto r = client.head("/page");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Length"), "10");
  EXPECT_EQ(r.body, "");
  auto own = client.head("/own");
  EXPECT_EQ(own.header("X-Head"), "own");
}

TEST(Engine, NoRouteRunsGlobalMiddlewareThenItsHandlers) {
  sloe::Engine app;
  app.use([](Context& c) {
    c.header("X-Global", "yes");
    c.next();
  });
  app.get("/", answer("root"));
  Client plain(app);
  auto r = plain.get("/missing");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "404 page not found");
  EXPECT_EQ(r.header("X-Global"), "yes");

  sloe::Engine custom;
  custom.no_route([](Context& c) { c.json(404, {{"error", "no such page"}, {"path", c.path()}}); });
  Client client(custom);
  auto j = client.get("/x/y");
  EXPECT_EQ(j.status, 404);
  EXPECT_EQ(j.json()["path"], "/x/y");
  EXPECT_EQ(j.json()["error"], "no such page");
}

TEST(Engine, RegistrationConflictsNameBothRoutes) {
  struct Case {
    const char* first;
    const char* second;
  } cases[] = {
      {"/a/:x", "/a/:y"},
      {"/dup", "/dup"},
      {"/files/*path", "/files/:name"},
  };
  for (const Case& test : cases) {
    SCOPED_TRACE(test.second);
    sloe::Engine app;
    app.get(test.first, answer("1"));
    try {
      app.get(test.second, answer("2"));
      FAIL() << "expected RouteConflict";
    } catch (const sloe::RouteConflict& e) {
      std::string message = e.what();
      EXPECT_NE(message.find(test.second), std::string::npos) << message;
      EXPECT_NE(message.find(test.first), std::string::npos) << message;
    }
  }
}

TEST(Engine, RoutesAreListedAndFrozenOnceServing) {
  sloe::Engine app;
  app.get("/a", answer("a"));
  app.group("/g").post("/b/:id", tag("t"), answer("b"));
  auto routes = app.routes();
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].method, "GET");
  EXPECT_EQ(routes[0].path, "/a");
  EXPECT_EQ(routes[1].method, "POST");
  EXPECT_EQ(routes[1].path, "/g/b/:id");
  EXPECT_EQ(routes[1].handlers, 2u);
  Client client(app);
  EXPECT_THROW(app.get("/late", answer("late")), std::logic_error);
  EXPECT_THROW(app.use(tag("late")), std::logic_error);
}

TEST(Engine, HandlerExceptionWithoutRecoveryStillAnswers500) {
  sloe::Engine app;
  app.get("/boom", [](Context&) { throw std::runtime_error("kaput"); });
  app.get("/ok", answer("ok"));
  Client client(app);
  EXPECT_EQ(client.get("/boom").status, 500);
  EXPECT_EQ(client.get("/ok").body, "ok");
}

TEST(Engine, HandlerCanCloseTheConnection) {
  sloe::Engine app;
  app.get("/bye", [](Context& c) {
    c.header("Connection", "close");
    c.string(200, "bye");
  });
  app.get("/hi", answer("hi"));
  Client client(app);
  auto exchange =
      client.raw("GET /bye HTTP/1.1\r\nHost: x\r\n\r\nGET /hi HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(exchange.responses.size(), 1u);
  EXPECT_TRUE(exchange.closed);
  EXPECT_EQ(exchange.responses[0].header("Connection"), "close");
}

TEST(Engine, MalformedPercentEncodingInPathIs400) {
  sloe::Engine app;
  app.get("/x/:v", answer("x"));
  Client client(app);
  EXPECT_EQ(client.get("/x/%zz").status, 400);
  EXPECT_EQ(client.get("/x/%41").status, 200);
}

TEST(Engine, WithDefaultsHasLoggerAndRecovery) {
  auto app = sloe::Engine::with_defaults();
  app.get("/boom", [](Context&) { throw std::logic_error("bug"); });
  Client client(app);
  EXPECT_EQ(client.get("/boom").status, 500);
}

TEST(Engine, InvalidListenAddressesAreRejectedWithAMessage) {
  for (const char* address : {"127.0.0.1", "127.0.0.1:http", "127.0.0.1:70000"}) {
    SCOPED_TRACE(address);
    sloe::Engine app;
    EXPECT_THROW(app.start(address), std::invalid_argument);
  }
}

}  // namespace
