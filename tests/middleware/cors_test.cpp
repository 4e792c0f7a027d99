// sloe::cors(): preflights answered before the rest of the chain, CORS headers only for
// allowed origins, credentials never with "*", Vary: Origin, and hostile Origin values.

#include <gtest/gtest.h>

#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

#include <string>
#include <thread>

#include "../support/raw_socket.hpp"

namespace {

using namespace std::chrono_literals;
using sloe::Context;
using sloe::CorsOptions;
using sloe::testing::Client;
using sloe::testing::Headers;

constexpr std::string_view kApp = "https://app.example.com";

bool varies_by(const sloe::testing::Response& r, std::string_view field) {
  return r.header("Vary").find(field) != std::string_view::npos;
}

// An app as the doc comment has it: cors() first, then an authentication check that refuses
// everything, then GET- and POST-only routes. A preflight must never reach the check.
struct CorsApp {
  explicit CorsApp(CorsOptions options, sloe::EngineOptions engine_options = {})
      : app(std::move(engine_options)) {
    app.use(sloe::cors(std::move(options)), [this](Context& c) {
      ++chain_runs;
      if (c.header("Authorization").empty()) return c.abort_with_status_json(401, {});
      c.next();
    });
    app.get("/items", [](Context& c) {
      c.header("X-Total", "3");
      c.string(200, "items");
    });
    app.post("/items", [](Context& c) { c.string(201, "made"); });
    app.get("/boom", [](Context&) -> void { throw std::runtime_error("boom"); });
    app.get("/later", [](Context& c) -> sloe::Task<> {
      co_await sloe::sleep_for(c.scope(), 1ms);
      c.string(200, "later");
    });
  }
  sloe::Engine app;
  int chain_runs = 0;
};

Headers preflight_headers(std::string_view origin, std::string_view method = "PUT",
                          std::string_view headers = "content-type") {
  Headers out{{"Origin", std::string(origin)},
              {"Access-Control-Request-Method", std::string(method)}};
  if (!headers.empty()) out.emplace_back("Access-Control-Request-Headers", headers);
  return out;
}

TEST(Cors, APreflightFromAnAllowedOriginIsAnsweredBeforeTheChain) {
  for (bool method_not_allowed : {false, true}) {
    SCOPED_TRACE(method_not_allowed ? "handle_method_not_allowed" : "default options");
    sloe::EngineOptions engine_options;
    engine_options.handle_method_not_allowed = method_not_allowed;
    CorsApp cors({.allow_origins = {std::string(kApp)}, .max_age = std::chrono::hours(2)},
                 engine_options);
    Client client(cors.app);
    // /items has no OPTIONS route: the router's 404 or 405 chain runs cors() all the same.
    auto r = client.request("OPTIONS", "/items", {}, preflight_headers(kApp));
    EXPECT_EQ(r.status, 204);
    EXPECT_EQ(r.body, "");
    EXPECT_EQ(r.header("Access-Control-Allow-Origin"), kApp);
    EXPECT_EQ(r.header("Access-Control-Allow-Methods"), "GET, HEAD, POST, PUT, PATCH, DELETE");
    EXPECT_EQ(r.header("Access-Control-Allow-Headers"), "Content-Type");
    EXPECT_EQ(r.header("Access-Control-Max-Age"), "7200");
    EXPECT_EQ(r.header("Access-Control-Allow-Credentials"), "");
    EXPECT_TRUE(varies_by(r, "Origin")) << r.header("Vary");
    EXPECT_EQ(cors.chain_runs, 0) << "authentication ran for a preflight";
  }
}

TEST(Cors, APreflightFromAnotherOriginIsRefusedWithoutCorsHeaders) {
  CorsApp cors({.allow_origins = {std::string(kApp)}});
  Client client(cors.app);
  for (std::string_view origin : {"https://evil.example", "https://app.example.com.evil.example",
                                  "http://app.example.com", "null"}) {
    SCOPED_TRACE(origin);
    auto r = client.request("OPTIONS", "/items", {}, preflight_headers(origin));
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "");
    EXPECT_EQ(r.header("Access-Control-Allow-Methods"), "");
    EXPECT_TRUE(varies_by(r, "Origin"));
  }
  EXPECT_EQ(cors.chain_runs, 0);
}

TEST(Cors, ActualRequestsCarryTheHeadersOnlyForAllowedOrigins) {
  CorsApp cors({.allow_origins = {std::string(kApp), "https://other.example"},
                .expose_headers = {"X-Total"}});
  Client client(cors.app);
  const Headers auth{{"Authorization", "Bearer t"}};
  auto with = [&](std::string_view origin) {
    Headers headers = auth;
    headers.emplace_back("Origin", origin);
    return headers;
  };
  auto allowed = client.get("/items", with(kApp));
  EXPECT_EQ(allowed.status, 200);
  EXPECT_EQ(allowed.body, "items");
  EXPECT_EQ(allowed.header("Access-Control-Allow-Origin"), kApp);
  EXPECT_EQ(allowed.header("Access-Control-Expose-Headers"), "X-Total");
  EXPECT_TRUE(varies_by(allowed, "Origin"));
  // Origins compare ignoring case, and the request's own spelling goes back.
  EXPECT_EQ(
      client.get("/items", with("HTTPS://OTHER.example")).header("Access-Control-Allow-Origin"),
      "HTTPS://OTHER.example");

  auto refused = client.get("/items", with("https://evil.example"));
  EXPECT_EQ(refused.status, 200) << "the request proceeds; the browser keeps the answer";
  EXPECT_EQ(refused.body, "items");
  EXPECT_EQ(refused.header("Access-Control-Allow-Origin"), "");
  EXPECT_EQ(refused.header("Access-Control-Expose-Headers"), "");
  EXPECT_TRUE(varies_by(refused, "Origin"));

  auto no_origin = client.get("/items", auth);
  EXPECT_EQ(no_origin.header("Access-Control-Allow-Origin"), "");
  EXPECT_TRUE(varies_by(no_origin, "Origin")) << "a cache must not give it to a CORS request";

  // OPTIONS without Access-Control-Request-Method is no preflight: it goes through the chain.
  Headers options = with(kApp);
  auto plain_options = client.request("OPTIONS", "/items", {}, options);
  EXPECT_EQ(plain_options.status, 404);
  EXPECT_EQ(plain_options.header("Access-Control-Allow-Origin"), kApp);
}

TEST(Cors, AnswersMadeLaterOrByAnExceptionKeepTheirHeaders) {
  CorsApp cors({.allow_origins = {std::string(kApp)}});
  Client client(cors.app);
  const Headers headers{{"Authorization", "Bearer t"}, {"Origin", std::string(kApp)}};
  auto failed = client.get("/boom", headers);
  EXPECT_EQ(failed.status, 500);
  EXPECT_EQ(failed.header("Access-Control-Allow-Origin"), kApp) << "the page may read its error";
  auto later = client.get("/later", headers);
  EXPECT_EQ(later.body, "later");
  EXPECT_EQ(later.header("Access-Control-Allow-Origin"), kApp);
  auto unauthorised = client.get("/items", {{"Origin", std::string(kApp)}});
  EXPECT_EQ(unauthorised.status, 401);
  EXPECT_EQ(unauthorised.header("Access-Control-Allow-Origin"), kApp);
}

TEST(Cors, AnyOriginWithoutCredentialsIsAStarThatDoesNotVary) {
  CorsApp cors({.allow_origins = {"*"}});
  Client client(cors.app);
  auto r = client.get("/items", {{"Authorization", "x"}, {"Origin", "https://anyone.example"}});
  EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "*");
  EXPECT_FALSE(varies_by(r, "Origin"));
  auto preflight = client.request("OPTIONS", "/items", {}, preflight_headers("https://a.example"));
  EXPECT_EQ(preflight.status, 204);
  EXPECT_EQ(preflight.header("Access-Control-Allow-Origin"), "*");
}

TEST(Cors, CredentialsNeverGoWithAStar) {
  CorsApp cors({.allow_origins = {"*"}, .allow_credentials = true});
  Client client(cors.app);
  auto r = client.get("/items", {{"Authorization", "x"}, {"Origin", "https://anyone.example"}});
  EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "https://anyone.example");
  EXPECT_EQ(r.header("Access-Control-Allow-Credentials"), "true");
  EXPECT_TRUE(varies_by(r, "Origin"));
  auto preflight =
      client.request("OPTIONS", "/items", {}, preflight_headers("https://anyone.example"));
  EXPECT_EQ(preflight.status, 204);
  EXPECT_EQ(preflight.header("Access-Control-Allow-Origin"), "https://anyone.example");
  EXPECT_EQ(preflight.header("Access-Control-Allow-Credentials"), "true");
  // "null" comes from sandboxed frames and local files: "*" does not cover it.
  auto null = client.get("/items", {{"Authorization", "x"}, {"Origin", "null"}});
  EXPECT_EQ(null.header("Access-Control-Allow-Origin"), "");
  EXPECT_EQ(null.header("Access-Control-Allow-Credentials"), "");
}

TEST(Cors, AFunctionDecidesOriginsTheListDoesNotName) {
  CorsApp cors({.allow_origins = {std::string(kApp)}, .allow_origin = [](std::string_view origin) {
                  return origin.ends_with(".preview.example.com");
                }});
  Client client(cors.app);
  auto origin_of = [&](std::string_view origin) {
    return std::string(
        client.get("/items", {{"Authorization", "x"}, {"Origin", std::string(origin)}})
            .header("Access-Control-Allow-Origin"));
  };
  EXPECT_EQ(origin_of(kApp), kApp);
  EXPECT_EQ(origin_of("https://pr-7.preview.example.com"), "https://pr-7.preview.example.com");
  EXPECT_EQ(origin_of("https://evil.example"), "");
  // The function only sees well-formed origins: this one would pass a naive suffix check.
  EXPECT_EQ(origin_of("https://evil.example/x.preview.example.com"), "");
}

TEST(Cors, StarMethodsAndHeadersAllowWhatThePreflightAsksFor) {
  CorsApp cors({.allow_origins = {std::string(kApp)},
                .allow_methods = {"*"},
                .allow_headers = {"*"},
                .allow_credentials = true});
  Client client(cors.app);
  auto r = client.request("OPTIONS", "/items", {},
                          preflight_headers(kApp, "PURGE", "authorization, x-trace"));
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.header("Access-Control-Allow-Methods"), "PURGE");
  EXPECT_EQ(r.header("Access-Control-Allow-Headers"), "authorization, x-trace");
  EXPECT_TRUE(varies_by(r, "Access-Control-Request-Method"));
  EXPECT_TRUE(varies_by(r, "Access-Control-Request-Headers"));
  // What is not a method or a list of header names is not sent back.
  auto odd = client.request("OPTIONS", "/items", {}, preflight_headers(kApp, "P(T", "a b, c"));
  EXPECT_EQ(odd.status, 204);
  EXPECT_EQ(odd.header("Access-Control-Allow-Methods"), "");
  EXPECT_EQ(odd.header("Access-Control-Allow-Headers"), "");
}

TEST(Cors, MalformedAndHugeOriginsAreNeverSentBack) {
  // Allowing everything that reaches the function, and credentials: only the well-formedness
  // check stands between these values and the response.
  CorsApp cors({.allow_origin = [](std::string_view) { return true; }, .allow_credentials = true});
  Client client(cors.app);
  const std::string huge = "https://" + std::string(8000, 'a') + ".example";
  const std::string_view origins[] = {
      "https://a.example, https://b.example",
      "https://a.example/path",
      "https://user@a.example",
      "javascript:alert(1)",
      "://a.example",
      "1http://a.example",
      "https://",
      "https://a example",
      "https://caf\xc3\xa9.example",
      huge,
  };
  for (std::string_view origin : origins) {
    SCOPED_TRACE(origin.substr(0, 60));
    auto r = client.get("/items", {{"Authorization", "x"}, {"Origin", std::string(origin)}});
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "");
    auto preflight = client.request("OPTIONS", "/items", {}, preflight_headers(origin));
    EXPECT_EQ(preflight.status, 403);
  }
  EXPECT_EQ(client.get("/items", {{"Authorization", "x"}, {"Origin", "http://localhost:3000"}})
                .header("Access-Control-Allow-Origin"),
            "http://localhost:3000");
}

// In a group, cors() runs only for the group's routes: the doc comment's OPTIONS catch-all
// lets preflights reach it.
TEST(Cors, InAGroupAnOptionsRouteLetsPreflightsReachIt) {
  sloe::Engine app;
  auto api = app.group("/api", sloe::cors({.allow_origins = {std::string(kApp)}}));
  api.get("/items/:id", [](Context& c) { c.string(200, "item"); });
  api.options("/*path", [](Context&) {});
  app.get("/elsewhere", [](Context& c) { c.string(200, "x"); });
  Client client(app);
  auto r = client.request("OPTIONS", "/api/items/7", {}, preflight_headers(kApp));
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.header("Access-Control-Allow-Origin"), kApp);
  EXPECT_EQ(client.get("/api/items/7", {{"Origin", std::string(kApp)}})
                .header("Access-Control-Allow-Origin"),
            kApp);
  auto outside = client.request("OPTIONS", "/elsewhere", {}, preflight_headers(kApp));
  EXPECT_EQ(outside.status, 404) << "outside the group there is no CORS";
  EXPECT_EQ(outside.header("Access-Control-Allow-Origin"), "");
}

TEST(Cors, OverARealSocket) {
  sloe::EngineOptions options;
  options.threads = 1;
  sloe::Engine app(options);
  app.use(sloe::cors({.allow_origins = {std::string(kApp)}, .allow_credentials = true}));
  app.get("/items", [](Context& c) { c.string(200, "items"); });
  app.start("127.0.0.1:0");
  sloe::test::RawSocket socket(app.port());
  socket.send(
      "OPTIONS /items HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example.com\r\n"
      "Access-Control-Request-Method: DELETE\r\n\r\n"
      "GET /items HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example.com\r\n\r\n"
      "OPTIONS /items HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.example\r\n"
      "Access-Control-Request-Method: DELETE\r\n\r\n");
  auto answers = socket.read_responses(3);
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_EQ(answers[0].status, 204);
  EXPECT_FALSE(answers[0].has_header("Content-Length")) << "a 204 has no framing fields";
  EXPECT_EQ(answers[0].header("Access-Control-Allow-Origin"), kApp);
  EXPECT_EQ(answers[0].header("Access-Control-Allow-Credentials"), "true");
  EXPECT_EQ(answers[1].status, 200);
  EXPECT_EQ(answers[1].body, "items");
  EXPECT_EQ(answers[1].header("Access-Control-Allow-Origin"), kApp);
  EXPECT_EQ(answers[2].status, 403);
  EXPECT_FALSE(answers[2].has_header("Access-Control-Allow-Origin"));
  app.shutdown(1s);
}

}  // namespace
