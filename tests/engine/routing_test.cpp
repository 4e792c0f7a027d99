// Engine-level routing with Gin 1.8.1's semantics, after Gin's routes_test.go, gin_test.go and
// githubapi_test.go: the same routes and requests, the same statuses, Locations and params,
// plus sloe's deliberate differences (HEAD via GET, Allow on 405, safe X-Forwarded-Prefix).

#include <gtest/gtest.h>

#include <fstream>
#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>
#include <string>
#include <vector>

namespace {

using sloe::Context;
using sloe::json;
using sloe::testing::Client;

// Answers with the matched pattern and the params, as examples/route_table does.
void echo(Context& c) {
  json params = json::object();
  for (const sloe::Param& p : c.params()) params[std::string(p.key)] = p.value;
  c.json(200, {{"route", c.full_path()}, {"params", params}});
}

// The routing options under test (designated initializers, defaults as Gin's).
struct Flags {
  bool redirect_trailing_slash = true;
  bool redirect_fixed_path = false;
  bool handle_method_not_allowed = false;
  bool use_raw_path = false;
  bool unescape_path_values = true;
  bool remove_extra_slash = false;
  std::vector<std::string> trusted_proxies = {};
};

sloe::EngineOptions quiet(Flags f = {}) {
  sloe::EngineOptions o;
  o.redirect_trailing_slash = f.redirect_trailing_slash;
  o.redirect_fixed_path = f.redirect_fixed_path;
  o.handle_method_not_allowed = f.handle_method_not_allowed;
  o.use_raw_path = f.use_raw_path;
  o.unescape_path_values = f.unescape_path_values;
  o.remove_extra_slash = f.remove_extra_slash;
  o.trusted_proxies = f.trusted_proxies;
  o.threads = 1;
  o.request_ids = false;
  o.handle_signals = false;
  return o;
}

struct Case {
  std::string method;
  std::string target;
  int status;
  std::string location = {};
  std::string route = {};
  json params = json::object();
};

void check(Client& client, const std::vector<Case>& cases) {
  for (const Case& t : cases) {
    SCOPED_TRACE(t.method + " " + t.target);
    auto r = client.request(t.method, t.target);
    EXPECT_EQ(r.status, t.status);
    EXPECT_EQ(r.header("Location"), t.location);
    if (t.status == 200 && t.method != "HEAD") {
      json body = r.json();
      EXPECT_EQ(body["route"], t.route);
      EXPECT_EQ(body["params"], t.params);
    }
  }
}

TEST(Routing, EveryMethodRoutesAndMisses) {  // TestRouterGroupRouteOK, TestRouteNotOK
  for (std::string method : {"GET", "POST", "PUT", "PATCH", "HEAD", "OPTIONS", "DELETE", "TRACE"}) {
    SCOPED_TRACE(method);
    sloe::Engine app(quiet());
    app.any("/test2", echo);
    app.handle(method, "/test", echo);
    app.handle(method, "/test_2", echo);
    Client client(app);
    EXPECT_EQ(client.request(method, "/test").status, 200);
    EXPECT_EQ(client.request(method, "/test2").status, 200);
    EXPECT_EQ(client.request(method, "/nope").status, 404);
  }
}

TEST(Routing, MethodNotAllowed) {  // TestRouteNotOK2, TestRouteNotAllowedEnabled/Enabled2/Disabled
  for (std::string method : {"GET", "POST", "PUT", "PATCH", "OPTIONS", "DELETE", "TRACE"}) {
    SCOPED_TRACE(method);
    sloe::Engine app(quiet({.handle_method_not_allowed = true}));
    app.handle(method == "POST" ? "GET" : "POST", "/test", echo);
    Client client(app);
    auto r = client.request(method, "/test");
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(r.body, "405 method not allowed");
    EXPECT_EQ(r.header("Allow"), method == "POST" ? "GET, HEAD" : "POST");
  }

  sloe::Engine app(quiet({.handle_method_not_allowed = true}));
  app.post("/path", echo);
  app.put("/path", echo);
  app.post("/", echo);
  app.get("/path2", echo);
  app.no_method([](Context& c) { c.string(418, "responseText"); });
  Client client(app);
  auto r = client.get("/path");
  EXPECT_EQ(r.status, 418);
  EXPECT_EQ(r.body, "responseText");
  EXPECT_EQ(r.header("Allow"), "POST, PUT");
  EXPECT_EQ(client.request("POST", "/path2").status, 418);
  EXPECT_EQ(client.get("/nowhere").status, 404);

  sloe::Engine off(quiet());
  off.post("/path", echo);
  off.no_method([](Context& c) { c.string(418, "responseText"); });
  Client off_client(off);
  r = off_client.get("/path");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "404 page not found");
  EXPECT_EQ(r.header("Allow"), "");
}

TEST(Routing, NoMethodRunsGlobalMiddlewareFirst) {  // TestNoMethodWithGlobalHandlers
  sloe::Engine app(quiet({.handle_method_not_allowed = true}));
  app.use([](Context& c) {
    c.header("X-Trail", "global");
    c.next();
  });
  app.no_method([](Context& c) { c.string(405, "no method, after {}", "global"); });
  app.post("/p", echo);
  Client client(app);
  auto r = client.get("/p");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("X-Trail"), "global");
  EXPECT_EQ(r.body, "no method, after global");
}

TEST(Routing, TrailingSlashRedirects) {  // TestRouteRedirectTrailingSlash
  sloe::Engine app(quiet({.trusted_proxies = {"192.0.2.10"}}));
  app.get("/path", echo);
  app.get("/path2/", echo);
  app.post("/path3", echo);
  app.put("/path4/", echo);
  Client client(app);
  check(client, {
                    {"GET", "/path/", 301, "/path"},
                    {"GET", "/path2", 301, "/path2/"},
                    {"POST", "/path3/", 307, "/path3"},
                    {"PUT", "/path4", 307, "/path4/"},
                    {"GET", "/path", 200, "", "/path"},
                    {"GET", "/path2/", 200, "", "/path2/"},
                    {"POST", "/path3", 200, "", "/path3"},
                    {"PUT", "/path4/", 200, "", "/path4/"},
                    {"GET", "/path/?a=1&b=%2F", 301, "/path?a=1&b=%2F"},  // query kept as sent
                    {"GET", "/path/?", 301, "/path?"},
                    {"DELETE", "/path/", 404},  // no DELETE tree: no redirect
                });
  auto r = client.get("/path2", {{"X-Forwarded-Prefix", "/api"}});
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(r.header("Location"), "/api/path2/");
  EXPECT_EQ(r.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(r.body, "<a href=\"/api/path2/\">Moved Permanently</a>.\n\n");
  EXPECT_EQ(client.get("/path2/", {{"X-Forwarded-Prefix", "/api/"}}).status, 200);
  EXPECT_EQ(client.get("/path/", {{"X-Forwarded-Prefix", "/api/"}}).header("Location"),
            "/api/path");
  EXPECT_EQ(client.request("POST", "/path3/").body, "");

  sloe::Engine off_app(quiet({.redirect_trailing_slash = false}));
  off_app.get("/path", echo);
  off_app.get("/path2/", echo);
  off_app.post("/path3", echo);
  off_app.put("/path4/", echo);
  Client off(off_app);
  check(off, {{"GET", "/path/", 404},
              {"GET", "/path2", 404},
              {"POST", "/path3/", 404},
              {"PUT", "/path4", 404}});
}

TEST(Routing, ForwardedPrefixOnlyFromTrustedProxiesAndOnlyWhenClean) {
  sloe::Engine trusting(quiet({.trusted_proxies = {"192.0.2.10"}}));
  trusting.get("/path2/", echo);
  Client client(trusting);
  for (std::string bad : {"//evil.example", "../x", "/a/../b", "/a/./b", "/api//v1", "api", "/a\\b",
                          "\\\\evil.example"}) {
    SCOPED_TRACE(bad);
    auto r = client.get("/path2", {{"X-Forwarded-Prefix", bad}});
    EXPECT_EQ(r.status, 301);
    EXPECT_EQ(r.header("Location"), "/path2/");
  }
  EXPECT_EQ(client.get("/path2", {{"X-Forwarded-Prefix", "/v1/api"}}).header("Location"),
            "/v1/api/path2/");
  EXPECT_EQ(client.get("/path2", {{"X-Forwarded-Prefix", "/sp ace"}}).header("Location"),
            "/sp%20ace/path2/");

  sloe::Engine untrusting(quiet());
  untrusting.get("/path2/", echo);
  Client plain(untrusting);
  EXPECT_EQ(plain.get("/path2", {{"X-Forwarded-Prefix", "/api"}}).header("Location"), "/path2/");
}

TEST(Routing, FixedPathRedirects) {  // TestRouteRedirectFixedPath, TestRouterNotFound
  sloe::Engine app(quiet({.redirect_trailing_slash = false, .redirect_fixed_path = true}));
  app.get("/path", echo);
  app.get("/Path2", echo);
  app.post("/PATH3", echo);
  app.post("/Path4/", echo);
  Client client(app);
  check(client, {{"GET", "/PATH", 301, "/path"},
                 {"GET", "/path2", 301, "/Path2"},
                 {"POST", "/path3", 307, "/PATH3"},
                 {"POST", "/path4", 307, "/Path4/"},
                 {"GET", "/PATH?x=1", 301, "/path?x=1"}});

  sloe::Engine nf(quiet({.redirect_fixed_path = true}));
  nf.get("/path", echo);
  nf.get("/dir/", echo);
  nf.get("/", echo);
  nf.patch("/path", echo);
  Client c2(nf);
  check(c2, {
                {"GET", "/path/", 301, "/path"},    // TSR -/
                {"GET", "/dir", 301, "/dir/"},      // TSR +/
                {"GET", "/PATH", 301, "/path"},     // fixed case
                {"GET", "/DIR/", 301, "/dir/"},     // fixed case
                {"GET", "/PATH/", 301, "/path"},    // fixed case -/
                {"GET", "/DIR", 301, "/dir/"},      // fixed case +/
                {"GET", "/../path", 301, "/path"},  // cleaned
                {"GET", "/nope", 404},
                {"PATCH", "/path/", 307, "/path"},
            });
  EXPECT_EQ(c2.request("PATCH", "/path/").body, "");
}

TEST(Routing, FixedPathBesideStaticAndParamChildrenNeverCrashes) {  // a Gin 1.8.1 panic
  sloe::Engine app(quiet({.redirect_fixed_path = true, .handle_method_not_allowed = true}));
  app.get("/users/new", echo);
  app.get("/users/:user", echo);
  app.get("/users/:user/repos", echo);
  app.post("/users/:user/keys", echo);
  Client client(app);
  check(client, {
                    {"GET", "/USERS/NEW", 301, "/users/new"},
                    {"GET", "/Users/gin/REPOS", 301, "/users/gin/repos"},
                    {"GET", "/users/new/repos", 200, "", "/users/:user/repos", {{"user", "new"}}},
                    {"GET", "/users/gin/keys", 405},
                    {"GET", "/USERS/gin/nothing", 404},
                });
}

TEST(Routing, NotFoundAndFullPath) {  // TestRouterNotFound, TestRouteContextHoldsFullPath
  sloe::Engine app(quiet());
  std::vector<std::string> routes = {"/simple",
                                     "/project/:name",
                                     "/",
                                     "/news/home",
                                     "/news",
                                     "/simple-two/one",
                                     "/simple-two/one-two",
                                     "/project/:name/build/*params",
                                     "/project/:name/bui",
                                     "/user/:id/status",
                                     "/user/:id",
                                     "/user/:id/profile"};
  for (const std::string& r : routes) app.get(r, echo);
  std::string seen = "unset";
  app.no_route([&seen](Context& c) { seen = std::string(c.full_path()); });
  Client client(app);
  for (const std::string& r : routes) {
    auto res = client.get(r);
    EXPECT_EQ(res.status, 200) << r;
    EXPECT_EQ(res.json()["route"], r);
  }
  auto r = client.get("/not-found");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "404 page not found");
  EXPECT_EQ(seen, "");

  sloe::Engine only_a(quiet());
  only_a.get("/a", echo);
  Client c2(only_a);
  EXPECT_EQ(c2.get("/").status, 404);  // no node for the prefix "/"
}

TEST(Routing, NoRouteDefaultOnlyWhenStatusUnchanged) {  // TestRouteServeErrorWithWriteHeader
  sloe::Engine app(quiet());
  app.use([](Context& c) {
    c.status(421);
    c.next();
  });
  Client client(app);
  auto r = client.get("/NotFound");
  EXPECT_EQ(r.status, 421);
  EXPECT_EQ(r.body, "");
}

TEST(Routing, ParamsAndCatchAll) {  // TestRouteParamsByName(WithExtraSlash)
  sloe::Engine app(quiet());
  app.get("/test/:name/:last_name/*wild", echo);
  Client client(app);
  json want = {{"name", "john"}, {"last_name", "smith"}, {"wild", "/is/super/great"}};
  check(client,
        {{"GET", "/test/john/smith/is/super/great", 200, "", "/test/:name/:last_name/*wild", want},
         {"GET",
          "/test/john%20q/smith/a%2Fb",
          200,
          "",
          "/test/:name/:last_name/*wild",
          {{"name", "john q"}, {"last_name", "smith"}, {"wild", "/a/b"}}},
         {"GET", "//test//john//smith//is//super//great", 404}});

  sloe::Engine extra(quiet({.remove_extra_slash = true}));
  extra.get("/test/:name/:last_name/*wild", echo);
  extra.get("/path", echo);
  extra.get("/", echo);
  Client c2(extra);
  check(c2, {{"GET", "//test//john//smith//is//super//great", 200, "",
              "/test/:name/:last_name/*wild", want},
             {"GET", "/../path", 200, "", "/path"},
             {"GET", "/a/./../path", 200, "", "/path"},
             {"GET", "/nope", 404}});
}

TEST(Routing, RawPathAndUnescapeOptions) {  // TestRouteRawPath, TestRouteRawPathNoUnescape
  sloe::Engine raw(quiet({.use_raw_path = true}));
  raw.post("/project/:name/build/:num", echo);
  raw.get("/src/*filepath", echo);
  raw.get("/a/b", echo);
  Client c1(raw);
  check(c1, {{"POST",
              "/project/Some%2FOther%2FProject/build/222",
              200,
              "",
              "/project/:name/build/:num",
              {{"name", "Some/Other/Project"}, {"num", "222"}}},
             // Gin unescapes raw values with url.QueryUnescape: '+' becomes a space.
             {"POST",
              "/project/a+b%2Fc/build/%32",
              200,
              "",
              "/project/:name/build/:num",
              {{"name", "a b/c"}, {"num", "2"}}},
             // Without escapes Go keeps no RawPath: the decoded path routes, '+' stays.
             {"POST",
              "/project/a+b/build/1",
              200,
              "",
              "/project/:name/build/:num",
              {{"name", "a+b"}, {"num", "1"}}},
             {"GET", "/src/x%2Fy/z", 200, "", "/src/*filepath", {{"filepath", "/x/y/z"}}},
             {"GET", "/a%2Fb", 404},  // an encoded slash never splits a segment
             {"GET", "/a/b", 200, "", "/a/b"}});

  sloe::Engine noesc(quiet({.use_raw_path = true, .unescape_path_values = false}));
  noesc.post("/project/:name/build/:num", echo);
  Client c2(noesc);
  check(c2, {{"POST",
              "/project/Some%2FOther%2FProject/build/333",
              200,
              "",
              "/project/:name/build/:num",
              {{"name", "Some%2FOther%2FProject"}, {"num", "333"}}}});

  sloe::Engine decoded(quiet());  // default: route on the decoded path
  decoded.get("/a/b", echo);
  decoded.post("/project/:name/build/:num", echo);
  Client c3(decoded);
  check(c3, {{"GET", "/a%2Fb", 200, "", "/a/b"}, {"POST", "/project/Some%2FOther/build/1", 404}});
  EXPECT_EQ(c3.get("/a%zz").status, 400);
}

TEST(Routing, RedirectLocationsAreReEscaped) {
  sloe::Engine app(quiet({.redirect_fixed_path = true}));
  app.get("/a b/", echo);
  app.get("/caf\xc3\xa9", echo);
  Client client(app);
  check(client, {{"GET", "/a%20b", 301, "/a%20b/"},
                 {"GET", "/CAF%C3%A9", 301, "/caf%C3%A9"},
                 {"GET", "/caf%c3%a9/", 301, "/caf%C3%A9"}});
}

TEST(Routing, HeadIsServedByGetRoutes) {  // sloe deviation: Gin answers 404
  sloe::Engine app(quiet());
  app.get("/page", [](Context& c) { c.string(200, "hello"); });
  app.get("/dir/", echo);
  app.head("/own", [](Context& c) { c.header("X-Own", "yes"); });
  app.get("/own", [](Context& c) { c.string(200, "get"); });
  Client client(app);
  auto r = client.head("/page");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(r.header("Content-Length"), "5");
  EXPECT_EQ(client.head("/own").header("X-Own"), "yes");
  r = client.head("/dir");
  EXPECT_EQ(r.status, 307);
  EXPECT_EQ(r.header("Location"), "/dir/");
  EXPECT_EQ(client.head("/nope").status, 404);
}

TEST(Routing, ConnectAndRootNeverRedirect) {
  sloe::Engine app(quiet({.redirect_fixed_path = true}));
  app.handle("CONNECT", "/x/", echo);
  app.get("/Home/", echo);
  Client client(app);
  EXPECT_EQ(client.request("CONNECT", "/x").status, 404);
  EXPECT_EQ(client.get("/").status, 404);
  EXPECT_EQ(client.get("/home").header("Location"), "/Home/");
}

TEST(Routing, RoutesListsEveryRoute) {  // TestListOfRoutes
  sloe::Engine app(quiet());
  app.get("/favicon.ico", echo);
  app.get("/", echo);
  auto users = app.group("/users");
  users.get("/", echo);
  users.get("/:id", echo);
  users.post("/:id", echo, echo);
  auto list = app.routes();
  ASSERT_EQ(list.size(), 5u);
  EXPECT_EQ(list[2].method, "GET");
  EXPECT_EQ(list[2].path, "/users/");
  EXPECT_EQ(list[4].method, "POST");
  EXPECT_EQ(list[4].path, "/users/:id");
  EXPECT_EQ(list[4].handlers, 2u);
}

TEST(Routing, RegistrationErrorsNameBothRoutes) {  // TestAddRouteFails and Gin's panics
  sloe::Engine app(quiet());
  app.get("/", echo);
  app.get("/users/:id", echo);
  auto message = [&](const char* method, const char* path) -> std::string {
    try {
      app.handle(method, path, echo);
    } catch (const std::exception& e) {
      return e.what();
    }
    return "";
  };
  std::string m = message("GET", "/users/:name");
  EXPECT_NE(m.find("/users/:name"), std::string::npos) << m;
  EXPECT_NE(m.find("/users/:id"), std::string::npos) << m;
  EXPECT_NE(message("GET", "/*filepath"), "");  // Gin: index out of range
  EXPECT_NE(message("GET", "/users/:id"), "");  // duplicate
  EXPECT_NE(message("GET", "/a/*x/b"), "");
  EXPECT_NE(message("GET", "/a/:x:y"), "");
  EXPECT_NE(message("GET", "/a/:"), "");
}

TEST(Routing, GithubApiRouteSetWithConcreteParams) {  // TestGithubAPI
  std::ifstream in(std::string(SLOE_SOURCE_DIR) + "/tests/routing_diff/routes.json");
  json all = json::parse(in);
  sloe::Engine app(quiet());
  std::vector<std::pair<std::string, std::string>> github;
  for (const json& r : all) {
    if (github.size() == 203) break;  // the file starts with Gin's 203 GitHub routes
    github.emplace_back(r["method"], r["path"]);
    app.handle(r["method"].get<std::string>(), r["path"].get<std::string>(), echo);
  }
  Client client(app);
  int n = 0;
  for (const auto& [method, pattern] : github) {
    std::string path;
    json want = json::object();
    for (std::size_t i = 0; i < pattern.size();) {
      if (pattern[i] == ':') {
        std::size_t end = pattern.find('/', i);
        if (end == std::string::npos) end = pattern.size();
        std::string value = std::to_string(10000 + n++);
        want[pattern.substr(i + 1, end - i - 1)] = value;
        path += value;
        i = end;
      } else {
        path += pattern[i++];
      }
    }
    SCOPED_TRACE(method + " " + path);
    auto r = client.request(method, path);
    ASSERT_EQ(r.status, 200);
    json body = r.json();
    EXPECT_EQ(body["route"], pattern);
    EXPECT_EQ(body["params"], want);
  }
  EXPECT_EQ(github.size(), 203u);
}

}  // namespace
