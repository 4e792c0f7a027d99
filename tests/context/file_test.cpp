// The Context's file answers in process: c.file, c.file_attachment and c.file_from_dir, with
// their validators, ranges and refusals, through the same parser, Context and serializer as a
// socket (the in-memory transport reads the file with pread where TCP uses sendfile).

#include <gtest/gtest.h>
#include <sloe/async/task.hpp>
#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

#include <chrono>
#include <stdexcept>
#include <string>

#include "../support/temp_tree.hpp"

namespace {

using namespace std::chrono_literals;
using sloe::Context;
using sloe::testing::Client;
using sloe::testing::Response;

constexpr std::string_view kHello = "hello, world\n";  // 13 bytes

// <tree>/www/hello.txt, page.html, style.css, data.bin (no known extension),
// docs/index.html, empty/ (no index); <tree>/secret: a sibling of the root.
class ContextFile : public ::testing::Test {
 protected:
  void SetUp() override {
    tree.write("www/hello.txt", kHello);
    tree.write("www/page.html", "<p>page</p>");
    tree.write("www/style.css", "p{}");
    tree.write("www/data.xyz123", "bytes");
    tree.write("www/docs/index.html", "<h1>docs</h1>");
    tree.make_directory("www/empty");
    tree.write("secret", "TOP-SECRET");
  }

  // GET /f serves `path` with c.file.
  Response get_file(const std::string& path, sloe::testing::Headers headers = {}) {
    sloe::Engine app;
    app.get("/f", [path](Context& c) { c.file(path); });
    Client client(app);
    return client.get("/f", std::move(headers));
  }

  sloe::test::TempTree tree;
};

TEST_F(ContextFile, ServesTheWholeFileWithItsValidators) {
  const Response r = get_file(tree.path("www/hello.txt"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, kHello);
  EXPECT_EQ(r.header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(r.header("Content-Length"), "13");
  EXPECT_EQ(r.header("Accept-Ranges"), "bytes");
  EXPECT_FALSE(r.header("ETag").empty());
  EXPECT_FALSE(r.header("Last-Modified").empty());
  EXPECT_TRUE(r.header("Content-Range").empty());
}

TEST_F(ContextFile, ContentTypeFromTheNameUnlessTheHandlerSetOne) {
  struct Case {
    const char* file;
    const char* handler_type;  // set by the handler before c.file; empty: none
    const char* expected;
  };
  const Case cases[] = {
      {"www/page.html", "", "text/html; charset=utf-8"},
      {"www/style.css", "", "text/css; charset=utf-8"},
      {"www/data.xyz123", "", "application/octet-stream"},
      {"www/docs", "", "text/html; charset=utf-8"},  // the directory's index.html
      {"www/page.html", "text/plain", "text/plain"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file);
    sloe::Engine app;
    app.get("/f", [&](Context& ctx) {
      ctx.header("Content-Type", c.handler_type);
      ctx.file(tree.path(c.file));
    });
    Client client(app);
    const Response r = client.get("/f");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Content-Type"), c.expected);
  }
}

TEST_F(ContextFile, HeadGetsTheHeadersOfGetAndNoBody) {
  sloe::Engine app;
  app.get("/f", [&](Context& c) { c.file(tree.path("www/hello.txt")); });
  Client client(app);
  const Response get = client.get("/f");
  const Response head = client.head("/f");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(head.header("Content-Length"), "13");
  EXPECT_EQ(head.header("Content-Type"), get.header("Content-Type"));
  EXPECT_EQ(head.header("ETag"), get.header("ETag"));

  const Response head_range = client.head("/f", {{"Range", "bytes=0-4"}});
  EXPECT_EQ(head_range.status, 206);
  EXPECT_EQ(head_range.header("Content-Length"), "5");
  EXPECT_EQ(head_range.body, "");
}

TEST_F(ContextFile, ConditionalRequests) {
  const Response first = get_file(tree.path("www/hello.txt"));
  const std::string etag(first.header("ETag"));
  const std::string modified(first.header("Last-Modified"));
  struct Case {
    const char* name;
    sloe::testing::Headers headers;
    int status;
  };
  const Case cases[] = {
      {"If-None-Match with the ETag", {{"If-None-Match", etag}}, 304},
      {"If-None-Match with another tag", {{"If-None-Match", "\"other\""}}, 200},
      {"If-Modified-Since the Last-Modified", {{"If-Modified-Since", modified}}, 304},
      {"If-Modified-Since long ago", {{"If-Modified-Since", "Mon, 01 Jan 2001 00:00:00 GMT"}}, 200},
      {"If-Match another tag", {{"If-Match", "\"other\""}}, 412},
      {"If-Match the ETag", {{"If-Match", etag}}, 200},
      {"If-Unmodified-Since long ago",
       {{"If-Unmodified-Since", "Mon, 01 Jan 2001 00:00:00 GMT"}},
       412},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const Response r = get_file(tree.path("www/hello.txt"), c.headers);
    EXPECT_EQ(r.status, c.status);
    if (c.status == 200) {
      EXPECT_EQ(r.body, kHello);
      continue;
    }
    EXPECT_EQ(r.body, "") << "a " << c.status << " carries no part of the file";
    if (c.status == 304) {
      EXPECT_EQ(r.header("ETag"), etag);
      EXPECT_EQ(r.header("Content-Type"), "");
      EXPECT_EQ(r.header("Content-Length"), "");
    }
  }
}

TEST_F(ContextFile, Ranges) {
  struct Case {
    const char* range;
    int status;
    std::string_view body;
    const char* content_range;
  };
  const Case cases[] = {
      {"bytes=0-4", 206, "hello", "bytes 0-4/13"},
      {"bytes=7-", 206, "world\n", "bytes 7-12/13"},
      {"bytes=-6", 206, "world\n", "bytes 7-12/13"},
      {"bytes=12-12", 206, "\n", "bytes 12-12/13"},
      {"bytes=13-20", 416, "invalid range: failed to overlap", "bytes */13"},
      {"bytes=-0", 416, "invalid range: failed to overlap", "bytes */13"},
      {"bytes=0-1,5-6", 200, kHello, ""},  // several ranges: the whole file
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.range);
    const Response r = get_file(tree.path("www/hello.txt"), {{"Range", c.range}});
    EXPECT_EQ(r.status, c.status);
    EXPECT_EQ(r.body, c.body);
    EXPECT_EQ(r.header("Content-Range"), c.content_range);
    EXPECT_EQ(r.header("Content-Length"), std::to_string(c.body.size()));
    if (c.status == 416) {
      EXPECT_EQ(r.header("Content-Type"), "text/plain; charset=utf-8");
    }
  }
}

TEST_F(ContextFile, MissingFilesAndDirectoriesWithoutIndexAre404) {
  for (const char* missing : {"www/nope.txt", "www/empty", "nowhere/at/all"}) {
    SCOPED_TRACE(missing);
    const Response r = get_file(tree.path(missing));
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.body, "404 page not found");
    EXPECT_EQ(r.header("Content-Type"), "text/plain; charset=utf-8");
    EXPECT_EQ(r.header("ETag"), "");
  }
}

TEST_F(ContextFile, RequestPathWithDotDotIsRefusedAsGoServeFileDoes) {
  sloe::Engine app;
  app.get("/dl/*name", [&](Context& c) { c.file(tree.path("www/hello.txt")); });
  Client client(app);
  for (const char* target :
       {"/dl/../secret", "/dl/%2e%2e/secret", "/dl/..%2fsecret", "/dl/a/..", "/dl/..\\x"}) {
    SCOPED_TRACE(target);
    const Response r = client.get(target);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.body, "invalid URL path");
  }
  EXPECT_EQ(client.get("/dl/..x/y").status, 200) << "\"..x\" is not a \"..\" element";
}

TEST_F(ContextFile, ReplacesTheBodyWrittenBefore) {
  sloe::Engine app;
  app.get("/f", [&](Context& c) {
    c.string(500, "not this");
    c.file(tree.path("www/hello.txt"));
  });
  Client client(app);
  const Response r = client.get("/f");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, kHello);
  EXPECT_EQ(r.header("Content-Type"), "text/plain; charset=utf-8");
}

TEST_F(ContextFile, AnExceptionAfterTheFileAnswers500WithoutIt) {
  sloe::Engine app;
  app.get("/f", [&](Context& c) {
    c.file(tree.path("www/hello.txt"));
    throw std::runtime_error("boom");
  });
  app.get("/bad", [&](Context& c) {
    c.file(tree.path("www/hello.txt"));
    throw sloe::BadRequest("");
  });
  Client client(app);
  const Response r = client.get("/f");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, "internal server error");
  const Response bad = client.get("/bad");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body, "");
}

TEST_F(ContextFile, ServesFromACoroutineHandler) {
  sloe::Engine app;
  app.get("/f", [&](Context& c) -> sloe::Task<> {
    co_await sloe::sleep_for(c.scope(), 1ms);
    c.file(tree.path("www/hello.txt"));
  });
  Client client(app);
  const Response r = client.get("/f", {{"Range", "bytes=0-4"}});
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(r.body, "hello");
}

TEST_F(ContextFile, AttachmentNamesTheDownload) {
  struct Case {
    std::string_view filename;
    std::string_view disposition;
  };
  const Case cases[] = {
      {"report.txt", R"(attachment; filename="report.txt")"},
      {R"(my "best".txt)", R"(attachment; filename="my \"best\".txt")"},
      {"naïve.txt", R"(attachment; filename="na_ve.txt"; filename*=UTF-8''na%C3%AFve.txt)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.filename);
    sloe::Engine app;
    app.get("/f",
            [&](Context& ctx) { ctx.file_attachment(tree.path("www/hello.txt"), c.filename); });
    Client client(app);
    const Response r = client.get("/f");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, kHello);
    EXPECT_EQ(r.header("Content-Disposition"), c.disposition);
    EXPECT_EQ(r.header("Content-Type"), "text/plain; charset=utf-8");
  }
}

TEST_F(ContextFile, AttachmentOfAMissingFileIsAPlain404) {
  sloe::Engine app;
  app.get("/f", [&](Context& c) { c.file_attachment(tree.path("www/nope.txt"), "nope.txt"); });
  Client client(app);
  const Response r = client.get("/f");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.header("Content-Disposition"), "") << "a 404 saved as the download";
}

TEST_F(ContextFile, FileFromDirStaysBeneathItsRoot) {
  tree.symlink("../secret", "www/link-out");
  tree.symlink(tree.path("secret"), "www/link-absolute");
  tree.symlink("hello.txt", "www/link-in");
  sloe::Engine app;
  app.get("/d", [&](Context& c) { c.file_from_dir(tree.path("www"), c.query("p")); });
  Client client(app);
  struct Case {
    const char* subpath;  // already decoded, as a query value
    int status;
    std::string_view body;
  };
  const Case cases[] = {
      {"hello.txt", 200, kHello},
      {"/hello.txt", 200, kHello},
      {"link-in", 200, kHello},
      {"docs/", 200, "<h1>docs</h1>"},
      {"../secret", 404, "404 page not found"},
      {"../../../../secret", 404, "404 page not found"},
      {"docs/../../secret", 404, "404 page not found"},
      {"link-out", 404, "404 page not found"},
      {"link-absolute", 404, "404 page not found"},
      {"nope", 404, "404 page not found"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.subpath);
    const std::string target = std::string("/d?p=") + c.subpath;
    const Response r = client.get(target);
    EXPECT_EQ(r.status, c.status);
    EXPECT_EQ(r.body, c.body);
  }
}

}  // namespace
