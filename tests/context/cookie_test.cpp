#include <gtest/gtest.h>
#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

#include <stdexcept>

namespace {

using sloe::Context;
using sloe::testing::Client;

std::vector<std::string> set_cookies(const sloe::testing::Response& r) {
  std::vector<std::string> values;
  for (const auto& [name, value] : r.headers) {
    if (name == "Set-Cookie") values.push_back(value);
  }
  return values;
}

TEST(Cookie, SetCookieWritesWhatGinWrites) {
  sloe::Engine app;
  app.get("/gin", [](Context& c) {
    // Gin's TestContextSetCookie, and its empty-path variant.
    c.set_cookie("user", "gin",
                 {.max_age = 1,
                  .path = "/",
                  .domain = "localhost",
                  .secure = true,
                  .http_only = true,
                  .same_site = sloe::SameSite::lax});
    c.set_cookie("user", "gin",
                 {.max_age = 1,
                  .path = "",
                  .domain = "localhost",
                  .secure = true,
                  .http_only = true,
                  .same_site = sloe::SameSite::lax});
  });
  app.get("/more", [](Context& c) {
    c.set_cookie("session", "a b&c=d;é");
    c.set_cookie("gone", "", {.max_age = -1, .domain = ".example.com"});
    c.set_cookie("strict", "1", {.path = "/admin", .same_site = sloe::SameSite::strict});
  });
  Client client(app);
  EXPECT_EQ(set_cookies(client.get("/gin")),
            (std::vector<std::string>{
                "user=gin; Path=/; Domain=localhost; Max-Age=1; HttpOnly; Secure; SameSite=Lax",
                "user=gin; Path=/; Domain=localhost; Max-Age=1; HttpOnly; Secure; SameSite=Lax"}));
  EXPECT_EQ(set_cookies(client.get("/more")),
            (std::vector<std::string>{"session=a+b%26c%3Dd%3B%C3%A9; Path=/",
                                      "gone=; Path=/; Domain=example.com; Max-Age=0",
                                      "strict=1; Path=/admin; SameSite=Strict"}));
}

TEST(Cookie, AValueSetIsTheValueReadBack) {
  sloe::Engine app;
  app.get("/set", [](Context& c) { c.set_cookie("note", "a b&c=d;é\"x\""); });
  app.get("/read", [](Context& c) { c.string(200, std::string(c.cookie("note").value_or("-"))); });
  Client client(app);
  const std::string set = set_cookies(client.get("/set")).at(0);
  const std::string pair = set.substr(0, set.find(';'));
  EXPECT_EQ(client.get("/read", {{"Cookie", "other=1; " + pair}}).body, "a b&c=d;é\"x\"");
}

TEST(Cookie, NamesPathsAndDomainsThatWouldBreakTheHeaderAreRefused) {
  sloe::Engine app;
  std::vector<std::string> errors;
  app.get("/bad", [&](Context& c) {
    const std::vector<std::function<void()>> attempts = {
        [&] { c.set_cookie("", "v"); },
        [&] { c.set_cookie("a b", "v"); },
        [&] { c.set_cookie("a\r\nX-Evil: 1", "v"); },
        [&] { c.set_cookie("ok", "v", {.path = "/x\r\nX-Evil: 1"}); },
        [&] { c.set_cookie("ok", "v", {.path = "/x; Domain=evil.example"}); },
        [&] { c.set_cookie("ok", "v", {.domain = "evil.example; Secure"}); },
    };
    for (const auto& attempt : attempts) {
      try {
        attempt();
        errors.push_back("accepted");
      } catch (const std::invalid_argument& e) {
        errors.push_back(e.what());
      }
    }
  });
  Client client(app);
  auto r = client.get("/bad");
  EXPECT_TRUE(set_cookies(r).empty());
  ASSERT_EQ(errors.size(), 6u);
  EXPECT_NE(errors[0].find("\"\" is not a valid name"), std::string::npos) << errors[0];
  EXPECT_NE(errors[1].find("set_cookie: \"a b\" is not a valid name"), std::string::npos);
  for (std::size_t i = 2; i < 6; ++i) EXPECT_NE(errors[i], "accepted") << i;
  EXPECT_NE(errors[3].find("path or domain"), std::string::npos) << errors[3];
}

TEST(ResponseHeaders, ClientInputCannotAddHeadersOfItsOwn) {
  sloe::Engine app;
  app.get("/echo", [](Context& c) {
    c.header("X-Echo", c.query("v"));
    c.redirect(302, c.query("next"));
  });
  app.get("/bad-name", [](Context& c) {
    try {
      c.header("X-Bad\r\nName", "v");
    } catch (const std::invalid_argument& e) {
      c.string(200, e.what());
    }
  });
  Client client(app);
  auto r = client.get("/echo?v=a%0d%0aSet-Cookie:%20evil=1&next=/x%0d%0aX-Injected:%201");
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(r.header("X-Echo"), "a  Set-Cookie: evil=1");
  EXPECT_EQ(r.header("Location"), "/x  X-Injected: 1");
  EXPECT_EQ(r.header("Set-Cookie"), "");
  EXPECT_EQ(r.header("X-Injected"), "");
  EXPECT_NE(client.get("/bad-name").body.find("is not a valid name"), std::string::npos);
}

}  // namespace
