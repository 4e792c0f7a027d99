// app.static_dir and app.static_file (Gin's Static and StaticFile) in process: what they serve,
// their redirects, and every way out of the root refused without a byte of what lies outside.

#include <gtest/gtest.h>
#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

#include <stdexcept>
#include <string>

#include "../support/temp_tree.hpp"

namespace {

using sloe::testing::Client;
using sloe::testing::Response;

constexpr std::string_view kSecret = "TOP-SECRET";

// <tree>/www is served at /static; <tree>/secret and <tree>/private/key.txt lie beside it.
class StaticRoutes : public ::testing::Test {
 protected:
  void SetUp() override {
    tree.write("www/hello.txt", "hello");
    tree.write("www/index.html", "<h1>home</h1>");
    tree.write("www/css/site.css", "body{}");
    tree.write("www/docs/index.html", "<h1>docs</h1>");
    tree.make_directory("www/empty");
    tree.write("secret", kSecret);
    tree.write("private/key.txt", kSecret);
    tree.symlink("../secret", "www/link-file");
    tree.symlink("../private", "www/link-dir");
    tree.symlink("..", "www/link-parent");
    tree.symlink(tree.path("secret"), "www/link-absolute");
    tree.symlink("css/site.css", "www/link-in");
    app.static_dir("/static", tree.path("www"));
  }

  sloe::test::TempTree tree;
  sloe::Engine app;
};

TEST_F(StaticRoutes, ServesFilesAndIndexes) {
  struct Case {
    const char* target;
    std::string_view body;
    const char* content_type;
  };
  const Case cases[] = {
      {"/static/hello.txt", "hello", "text/plain; charset=utf-8"},
      {"/static/css/site.css", "body{}", "text/css; charset=utf-8"},
      {"/static/link-in", "body{}", "application/octet-stream"},  // the name's type
      {"/static/", "<h1>home</h1>", "text/html; charset=utf-8"},
      {"/static/docs/", "<h1>docs</h1>", "text/html; charset=utf-8"},
      {"/static/hello.txt?v=3", "hello", "text/plain; charset=utf-8"},
      {"/static/%68ello.txt", "hello", "text/plain; charset=utf-8"},
  };
  Client client(app);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.target);
    const Response r = client.get(c.target);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, c.body);
    EXPECT_EQ(r.header("Content-Type"), c.content_type);
    EXPECT_EQ(r.header("Content-Length"), std::to_string(c.body.size()));
  }
}

TEST_F(StaticRoutes, HeadIsRoutedAndAnswersWithoutABody) {
  Client client(app);
  const Response r = client.head("/static/hello.txt");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(r.header("Content-Length"), "5");
  EXPECT_FALSE(r.header("ETag").empty());
}

TEST_F(StaticRoutes, CanonicalRedirects) {
  struct Case {
    const char* target;
    const char* location;
  };
  const Case cases[] = {
      {"/static/docs", "./docs/"},
      {"/static/docs?lang=en", "./docs/?lang=en"},
      {"/static/hello.txt/", "../hello.txt"},
      {"/static/index.html", "./"},
      {"/static/docs/index.html", "./"},
  };
  Client client(app);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.target);
    const Response r = client.get(c.target);
    EXPECT_EQ(r.status, 301);
    EXPECT_EQ(r.header("Location"), c.location);
    EXPECT_EQ(r.body, "");
  }
  // The prefix without its slash does not reach the route: the router redirects, as Gin's.
  const Response r = client.get("/static");
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(r.header("Location"), "/static/");
}

TEST_F(StaticRoutes, MissingIs404) {
  Client client(app);
  for (const char* target : {"/static/nope.txt", "/static/empty/", "/static/css/nope/x"}) {
    SCOPED_TRACE(target);
    const Response r = client.get(target);
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.body, "404 page not found");
    EXPECT_EQ(r.header("Content-Type"), "text/plain; charset=utf-8");
  }
}

TEST_F(StaticRoutes, NothingOutsideTheRootIsServed) {
  Client client(app);
  const char* attempts[] = {
      "/static/../secret",
      "/static/%2e%2e/secret",
      "/static/..%2fsecret",
      "/static/%2e%2e%2fsecret",
      "/static/%2E%2E%2Fsecret",
      "/static/../private/key.txt",
      "/static/../../../../../../etc/passwd",
      "/static/css/../../secret",
      "/static/link-file",
      "/static/link-dir/key.txt",
      "/static/link-parent/secret",
      "/static/link-absolute",
      "/static/%2e%2e%2f%2e%2e%2fsecret",
  };
  for (const char* target : attempts) {
    SCOPED_TRACE(target);
    for (const Response& r : {client.get(target), client.head(target)}) {
      EXPECT_GE(r.status, 400);
      EXPECT_LT(r.status, 500);
      EXPECT_EQ(r.body.find(kSecret), std::string::npos);
      for (const auto& [name, value] : r.headers) {
        EXPECT_EQ(value.find(kSecret), std::string::npos) << name;
      }
    }
  }
  // Sent raw: the bytes of the whole exchange hold no secret either.
  std::string raw;
  for (const char* target : attempts) {
    raw.append("GET ").append(target).append(" HTTP/1.1\r\nHost: t\r\n\r\n");
  }
  const sloe::testing::Exchange exchange = client.raw(raw);
  ASSERT_EQ(exchange.responses.size(), std::size(attempts));
  for (const Response& r : exchange.responses) {
    EXPECT_GE(r.status, 400);
    EXPECT_EQ(r.body.find(kSecret), std::string::npos);
  }
}

TEST_F(StaticRoutes, InAGroup) {
  sloe::Engine grouped;
  grouped.group("/v1").static_dir("/assets", tree.path("www"));
  grouped.group("/v1").static_file("/favicon.ico", tree.path("www/hello.txt"));
  Client client(grouped);
  EXPECT_EQ(client.get("/v1/assets/css/site.css").body, "body{}");
  EXPECT_EQ(client.get("/v1/favicon.ico").body, "hello");
  EXPECT_EQ(client.get("/assets/css/site.css").status, 404);
  const Response redirect = client.get("/v1/assets/docs");
  EXPECT_EQ(redirect.status, 301);
  EXPECT_EQ(redirect.header("Location"), "./docs/");
}

TEST_F(StaticRoutes, StaticFileServesOneFileForGetAndHead) {
  app.static_file("/favicon.ico", tree.path("www/hello.txt"));
  Client client(app);
  const Response get = client.get("/favicon.ico");
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(get.body, "hello");
  EXPECT_EQ(get.header("Content-Type"), "text/plain; charset=utf-8");  // the file's name
  const Response head = client.head("/favicon.ico");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("Content-Length"), "5");
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(client.post("/favicon.ico", "").status, 404);  // no POST route (405 only on option)
}

TEST_F(StaticRoutes, GroupMiddlewareRunsFirst) {
  sloe::Engine guarded;
  auto admin = guarded.group("/admin", [](sloe::Context& c) {
    if (c.header("Authorization").empty()) {
      c.abort_with_status(401);
      return;
    }
    c.next();
  });
  admin.static_dir("/files", tree.path("www"));
  Client client(guarded);
  EXPECT_EQ(client.get("/admin/files/hello.txt").status, 401);
  EXPECT_EQ(client.get("/admin/files/hello.txt", {{"Authorization", "x"}}).body, "hello");
}

TEST(StaticRoutesRegistration, ParametersAreRefused) {
  sloe::Engine app;
  EXPECT_THROW(app.static_dir("/files/:name", "/tmp"), std::invalid_argument);
  EXPECT_THROW(app.static_dir("/files/*all", "/tmp"), std::invalid_argument);
  EXPECT_THROW(app.static_file("/f/:name", "/tmp/x"), std::invalid_argument);
}

}  // namespace
