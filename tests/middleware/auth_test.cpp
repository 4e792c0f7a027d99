// basic_auth(), bearer_auth() and jwt_auth() as a client meets them: in memory through
// sloe::testing::Client, and once over a real socket.

#include <gtest/gtest.h>
#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "../support/captured_log.hpp"
#include "../support/raw_socket.hpp"
#include "../support/test_tokens.hpp"

namespace {

using namespace std::chrono_literals;
using sloe::Context;
using sloe::test::base64;
using sloe::testing::Client;

// An engine whose /private route answers with the authenticated user's name, counting the
// requests that got through.
struct Guarded {
  explicit Guarded(sloe::Handler auth) {
    app.use(std::move(auth));
    app.get("/private", [reached = reached](Context& c) {
      ++*reached;
      std::string* user = c.get<std::string>(sloe::auth_user_key);
      c.string(200, "hello {}", user ? *user : "?");
    });
  }
  sloe::Engine app;
  std::shared_ptr<int> reached = std::make_shared<int>(0);
};

std::string basic(std::string_view user_colon_password) {
  return "Basic " + base64(user_colon_password);
}

TEST(BasicAuth, OnlyAnAccountWithItsPasswordGetsThrough) {
  struct Case {
    std::string_view name;
    std::optional<std::string> authorization;  // nullopt: no header
    int status;
  };
  const Case cases[] = {
      {"right password", basic("alice:wonderland"), 200},
      {"the other account", basic("bob:builder:2"), 200},  // the password holds a ':'
      {"scheme in any case", "bASIC " + base64("alice:wonderland"), 200},
      {"several spaces", "Basic   " + base64("alice:wonderland"), 200},
      {"wrong password", basic("alice:wonderlan"), 401},
      {"password with a suffix", basic("alice:wonderland2"), 401},
      {"another account's password", basic("alice:builder:2"), 401},
      {"unknown user", basic("carol:wonderland"), 401},
      {"user name in another case", basic("Alice:wonderland"), 401},
      {"empty password", basic("alice:"), 401},
      {"no colon", basic("alicewonderland"), 401},
      {"empty credentials", basic(""), 401},
      {"no header", std::nullopt, 401},
      {"empty header", "", 401},
      {"scheme only", "Basic", 401},
      {"scheme and a space", "Basic ", 401},
      {"not base64", "Basic !!!!", 401},
      {"base64 without padding", "Basic YWxpY2U6d29uZGVybGFuZA", 401},
      {"base64 with extra padding", "Basic " + base64("alice:wonderland") + "==", 401},
      {"the bare base64", base64("alice:wonderland"), 401},
      {"another scheme", "Bearer " + base64("alice:wonderland"), 401},
      {"8 KiB of credentials", "Basic " + std::string(8192, 'A'), 401},
      {"8 KiB of garbage", "Basic " + std::string(8192, '!'), 401},
  };
  for (const Case& test : cases) {
    SCOPED_TRACE(test.name);
    Guarded server(sloe::basic_auth({{"alice", "wonderland"}, {"bob", "builder:2"}}));
    Client client(server.app);
    sloe::testing::Headers headers;
    if (test.authorization) headers.emplace_back("Authorization", *test.authorization);
    auto r = client.get("/private", headers);
    EXPECT_EQ(r.status, test.status);
    if (test.status == 200) {
      EXPECT_EQ(r.body, test.name == "the other account" ? "hello bob" : "hello alice");
      EXPECT_EQ(r.header("WWW-Authenticate"), "");
    } else {
      EXPECT_EQ(r.header("WWW-Authenticate"), R"(Basic realm="Authorization Required")");
      EXPECT_EQ(*server.reached, 0) << "the chain was not aborted";
    }
  }
}

TEST(BasicAuth, TheRealmIsQuoted) {
  Guarded server(sloe::basic_auth({{"alice", "x"}}, R"(Staff "only" \ here)"));
  Client client(server.app);
  EXPECT_EQ(client.get("/private").header("WWW-Authenticate"),
            R"(Basic realm="Staff \"only\" \\ here")");
}

TEST(BasicAuth, UnusableAccountsAreRefusedAtStartUp) {
  EXPECT_THROW(sloe::basic_auth({}), std::invalid_argument);
  EXPECT_THROW(sloe::basic_auth({{"", "x"}}), std::invalid_argument);
  EXPECT_THROW(sloe::basic_auth({{"a:b", "x"}}), std::invalid_argument);
  EXPECT_THROW(sloe::basic_auth({{"a", "x"}}, "line\r\nbreak"), std::invalid_argument);
}

TEST(BasicAuth, TheUserTravelsIntoACopy) {
  sloe::Engine app;
  app.use(sloe::basic_auth({{"alice", "wonderland"}}));
  std::string copied;
  app.get("/job", [&copied](Context& c) {
    sloe::ContextCopy job = c.copy();
    const std::string* user = job.get<std::string>(sloe::auth_user_key);
    copied = user ? *user : "none";
    c.status(202);
  });
  Client client(app);
  EXPECT_EQ(client.get("/job", {{"Authorization", basic("alice:wonderland")}}).status, 202);
  EXPECT_EQ(copied, "alice");
  EXPECT_EQ(sloe::auth_user_key, "user");  // Gin's AuthUserKey
}

// A verifier for opaque tokens: "good-<name>" is <name>, "throw" throws InvalidToken.
std::optional<sloe::Identity> verify_opaque(std::string_view token) {
  if (token == "throw") throw sloe::InvalidToken("revoked at 12:00");
  if (token.substr(0, 5) != "good-") return std::nullopt;
  std::string name(token.substr(5));
  return sloe::Identity{name, {{"sub", name}}};
}

TEST(BearerAuth, ChallengesFollowRfc6750) {
  struct Case {
    std::string_view name;
    std::optional<std::string> authorization;
    int status;
    std::string_view challenge;
  };
  constexpr std::string_view kNoToken = "Bearer";
  constexpr std::string_view kInvalid = R"(Bearer error="invalid_token")";
  const Case cases[] = {
      {"accepted", "Bearer good-alice", 200, ""},
      {"scheme in any case", "bearer good-alice", 200, ""},
      {"no header", std::nullopt, 401, kNoToken},
      {"scheme only", "Bearer", 401, kNoToken},
      {"scheme and spaces", "Bearer   ", 401, kNoToken},
      {"another scheme", "Basic " + base64("alice:x"), 401, kNoToken},
      {"refused", "Bearer bad", 401, kInvalid},
      {"verifier throws InvalidToken", "Bearer throw", 401, kInvalid},
      {"not a token68", "Bearer good-al ice", 401, kInvalid},
      {"padding inside", "Bearer good=alice", 401, kInvalid},
      {"only padding", "Bearer ==", 401, kInvalid},
      {"8 KiB token", "Bearer good-" + std::string(8192, 'a'), 200, ""},
      {"8 KiB of garbage", "Bearer " + std::string(8192, '"'), 401, kInvalid},
  };
  for (const Case& test : cases) {
    SCOPED_TRACE(test.name);
    Guarded server(sloe::bearer_auth(verify_opaque));
    Client client(server.app);
    sloe::testing::Headers headers;
    if (test.authorization) headers.emplace_back("Authorization", *test.authorization);
    auto r = client.get("/private", headers);
    EXPECT_EQ(r.status, test.status);
    EXPECT_EQ(r.header("WWW-Authenticate"), test.challenge);
    EXPECT_EQ(*server.reached, test.status == 200 ? 1 : 0);
  }
}

TEST(BearerAuth, TheRealmComesFirstInTheChallenge) {
  Guarded server(sloe::bearer_auth(verify_opaque, "orders"));
  Client client(server.app);
  EXPECT_EQ(client.get("/private").header("WWW-Authenticate"), R"(Bearer realm="orders")");
  EXPECT_EQ(client.get("/private", {{"Authorization", "Bearer bad"}}).header("WWW-Authenticate"),
            R"(Bearer realm="orders", error="invalid_token")");
}

TEST(BearerAuth, AVerifierThatFailsIsAServerErrorNotARefusal) {
  Guarded server(sloe::bearer_auth([](std::string_view) -> std::optional<sloe::Identity> {
    throw std::runtime_error("the token store is down");
  }));
  Client client(server.app);
  auto r = client.get("/private", {{"Authorization", "Bearer good-alice"}});
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.header("WWW-Authenticate"), "");
}

// The refusal reason reaches logger() through c.error(); the token itself never does.
TEST(BearerAuth, TheLogNamesTheReasonAndNeverTheToken) {
  sloe::test::CapturedLog log;
  sloe::Engine app;
  app.use(sloe::logger({.output = sloe::log_to_spdlog()}), sloe::bearer_auth(verify_opaque));
  app.get("/private", [](Context& c) { c.string(200, "ok"); });
  Client client(app);
  EXPECT_EQ(client.get("/private", {{"Authorization", "Bearer throw"}}).status, 401);
  EXPECT_EQ(client.get("/private", {{"Authorization", "Bearer SECRETTOKEN"}}).status, 401);
  EXPECT_EQ(client.get("/private", {{"Authorization", "Bearer SECRET,TOKEN"}}).status, 401);
  std::string text = log.text();
  EXPECT_NE(text.find("bearer token refused: revoked at 12:00"), std::string::npos) << text;
  EXPECT_NE(text.find("bearer token refused by the verifier"), std::string::npos) << text;
  EXPECT_NE(text.find("bearer token refused: not a token68"), std::string::npos) << text;
  EXPECT_EQ(text.find("SECRET"), std::string::npos) << text;
}

constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef";

std::string alice_token(long long expires_in = 300) {
  long long now = std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  return sloe::test::hs256_token(
      R"({"alg":"HS256","typ":"JWT"})",
      fmt::format(R"({{"sub":"alice","exp":{},"scope":"orders:read"}})", now + expires_in),
      kSecret);
}

sloe::JwtOptions jwt_options() {
  sloe::JwtOptions options;
  options.secret = std::string(kSecret);
  options.leeway = 5s;
  return options;
}

// The identity is a request-scoped key, so background work reads it from c.copy().
TEST(JwtAuth, TheIdentityIsOnTheContextAndInItsCopy) {
  sloe::Engine app;
  app.use(sloe::jwt_auth(jwt_options()));
  std::optional<sloe::Identity> copied;
  app.get("/orders", [&copied](Context& c) {
    sloe::Identity* identity = c.get<sloe::Identity>(sloe::identity_key);
    ASSERT_NE(identity, nullptr);
    sloe::ContextCopy job = c.copy();
    if (const sloe::Identity* in_copy = job.get<sloe::Identity>(sloe::identity_key)) {
      copied = *in_copy;
    }
    c.json(200, {{"user", identity->subject}, {"scope", identity->claims["scope"]}});
  });
  Client client(app);
  auto r = client.get("/orders", {{"Authorization", "Bearer " + alice_token()}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["user"], "alice");
  EXPECT_EQ(r.json()["scope"], "orders:read");
  ASSERT_TRUE(copied.has_value());
  EXPECT_EQ(copied->subject, "alice");
  EXPECT_EQ(copied->claims["scope"], "orders:read");

  auto expired = client.get("/orders", {{"Authorization", "Bearer " + alice_token(-3600)}});
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(expired.header("WWW-Authenticate"), R"(Bearer error="invalid_token")");
}

TEST(JwtAuth, AGroupCanRequireIt) {
  sloe::Engine app;
  app.get("/health", [](Context& c) { c.string(200, "up"); });
  auto api = app.group("/api", sloe::jwt_auth(jwt_options()));
  api.get("/me", [](Context& c) { c.string(200, *c.get<std::string>(sloe::auth_user_key)); });
  Client client(app);
  EXPECT_EQ(client.get("/health").status, 200);
  EXPECT_EQ(client.get("/api/me").status, 401);
  EXPECT_EQ(client.get("/api/me", {{"Authorization", "Bearer " + alice_token()}}).body, "alice");
}

TEST(JwtAuth, OverARealSocket) {
  sloe::EngineOptions options;
  options.threads = 2;
  options.handle_signals = false;
  sloe::Engine app(options);
  app.use(sloe::jwt_auth(jwt_options(), "orders"));
  app.get("/me",
          [](Context& c) { c.string(200, "hello {}", *c.get<std::string>(sloe::auth_user_key)); });
  app.start("127.0.0.1:0");

  sloe::test::RawSocket socket(app.port());
  ASSERT_TRUE(socket.connected());
  socket.send("GET /me HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + alice_token() +
              "\r\n\r\n"
              "GET /me HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " +
              alice_token() +
              "x\r\n\r\n"
              "GET /me HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " +
              std::string(8192, 'a') + "\r\n\r\n");
  auto responses = socket.read_responses(3);
  ASSERT_EQ(responses.size(), 3u);
  // A refusal leaves the connection usable.
  socket.send("GET /me HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + alice_token() + "\r\n\r\n");
  auto after = socket.read_response();
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->status, 200);
  EXPECT_EQ(responses[0].status, 200);
  EXPECT_EQ(responses[0].body, "hello alice");
  EXPECT_EQ(responses[1].status, 401);
  EXPECT_EQ(responses[1].header("WWW-Authenticate"),
            R"(Bearer realm="orders", error="invalid_token")");
  EXPECT_EQ(responses[2].status, 401);
  app.shutdown(0ms);
}

}  // namespace
