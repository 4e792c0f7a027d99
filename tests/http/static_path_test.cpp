#include "http/static_path.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/fsuid.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <thread>

#include "http/url.hpp"

namespace {

namespace fs = std::filesystem;
using sloe::http::clean_static_subpath;
using sloe::http::has_dot_dot_element;
using sloe::http::open_static_file;
using sloe::http::percent_decode;
using sloe::http::resolve_static_path;
using sloe::http::static_redirect_location;
using sloe::http::StaticLookup;
using sloe::http::StaticRedirect;

// A temporary tree, removed with everything in it when the test ends:
//   <base>/www/               the root served
//   <base>/www/hello.txt      "hello"
//   <base>/www/css/site.css
//   <base>/www/docs/index.html, docs/guide/ (no index)
//   <base>/secret/key.txt     a sibling of the root, which no request may reach
class StaticPath : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "sloe-static-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    base_ = pattern;
    root_ = (base_ / "www").string();
    write("www/hello.txt", "hello");
    write("www/css/site.css", "body{}");
    write("www/docs/index.html", "<h1>docs</h1>");
    fs::create_directories(base_ / "www/docs/guide");
    write("secret/key.txt", "do not serve");
  }
  void TearDown() override { fs::remove_all(base_); }

  void write(const std::string& relative, std::string_view content) {
    const fs::path path = base_ / relative;
    fs::create_directories(path.parent_path());
    std::ofstream(path) << content;
  }
  void symlink(const std::string& target, const std::string& link) {
    fs::create_symlink(target, base_ / link);
  }

  StaticLookup lookup(std::string_view subpath) const {
    return resolve_static_path(root_, subpath);
  }

  // The content of the file a lookup opened, read through its descriptor.
  static std::string content_of(const StaticLookup& found) {
    std::string content(static_cast<std::size_t>(found.info.st_size), '\0');
    const ssize_t n = ::pread(found.file.get(), content.data(), content.size(), 0);
    return n < 0 ? "<read failed>" : content.substr(0, static_cast<std::size_t>(n));
  }

  struct Served {
    std::string_view subpath;
    std::string_view relative_path;
    std::string_view content;
  };
  void expect_serves(std::initializer_list<Served> cases) const {
    for (const Served& c : cases) {
      SCOPED_TRACE(c.subpath);
      const StaticLookup found = lookup(c.subpath);
      ASSERT_TRUE(found.found()) << found.status;
      EXPECT_EQ(found.redirect, StaticRedirect::none);
      EXPECT_TRUE(S_ISREG(found.info.st_mode));
      EXPECT_EQ(found.relative_path, c.relative_path) << "named as requested, for the MIME type";
      EXPECT_EQ(content_of(found), c.content);
    }
  }

  fs::path base_;
  std::string root_;
};

TEST_F(StaticPath, ServesFilesUnderTheRoot) {
  expect_serves({
      {"/hello.txt", "hello.txt", "hello"},
      {"hello.txt", "hello.txt", "hello"},
      {"/css/site.css", "css/site.css", "body{}"},
      {"//css///site.css", "css/site.css", "body{}"},
      {"/./css/./site.css", "css/site.css", "body{}"},
      {"/css/../hello.txt", "hello.txt", "hello"},
      {"/docs/", "docs/index.html", "<h1>docs</h1>"},
  });
}

TEST_F(StaticPath, TraversalNeverLeavesTheRoot) {
  // Each of these, cleaned, names something under the root that does not exist: a 404, and
  // never the sibling's key.txt or /etc/passwd. Percent-decoding has happened before (a
  // literal "..%2f" arrives as "../").
  for (std::string_view subpath : {
           "../secret/key.txt",
           "/../secret/key.txt",
           "/../../../../../../etc/passwd",
           "../etc/passwd",
           "/a/../../secret/key.txt",
           "/css/../../secret/key.txt",
           "..",
           "/..",
           "/../",
           "....//secret/key.txt",
           "..\\secret\\key.txt",  // a backslash is a byte of a name on POSIX
           "..\\..\\etc\\passwd",
           "/%2e%2e/secret/key.txt",  // not decoded here: a name with percent signs
           "/.../secret/key.txt",
       }) {
    SCOPED_TRACE(subpath);
    const StaticLookup found = lookup(subpath);
    EXPECT_EQ(found.status, 404);
    EXPECT_FALSE(found.file);
    EXPECT_EQ(found.reason, "404 page not found");
  }
  // The encoded forms, decoded as the router decodes a parameter before the lookup sees it.
  for (std::string_view encoded : {
           "/..%2fsecret%2fkey.txt", "/%2e%2e/secret/key.txt", "/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
           "/css/..%2f..%2fsecret/key.txt", "/..%5c..%5csecret%5ckey.txt",
           "/%252e%252e/secret/key.txt",  // double encoding decodes once: "%2e%2e"
       }) {
    SCOPED_TRACE(encoded);
    std::string decoded;
    ASSERT_TRUE(percent_decode(encoded, decoded, false));
    EXPECT_EQ(lookup(decoded).status, 404);
  }
  // ".." at the root stays at the root: these reach the root's own files.
  for (std::string_view subpath : {"/../hello.txt", "../../hello.txt", "/a/../../hello.txt"}) {
    SCOPED_TRACE(subpath);
    const StaticLookup found = lookup(subpath);
    ASSERT_TRUE(found.found());
    EXPECT_EQ(found.relative_path, "hello.txt");
  }
}

TEST_F(StaticPath, NulByteIsABadRequest) {
  using namespace std::string_view_literals;
  for (std::string_view subpath : {"/hello.txt\0.png"sv, "\0"sv, "/../\0/etc/passwd"sv}) {
    const StaticLookup found = lookup(subpath);
    EXPECT_EQ(found.status, 400);
    EXPECT_FALSE(found.file);
  }
}

TEST_F(StaticPath, SymlinksInsideTheRootAreFollowed) {
  symlink("hello.txt", "www/alias.txt");
  symlink("../css/site.css", "www/docs/style.css");  // up and down, never above the root
  symlink("docs", "www/manual");                     // a directory
  symlink("./css/./", "www/styles");
  symlink("alias.txt", "www/alias2.txt");  // a chain
  symlink("guide", "www/docs/sub");
  symlink("../../hello.txt", "www/docs/guide/back.txt");
  expect_serves({
      {"/alias.txt", "alias.txt", "hello"},
      {"/docs/style.css", "docs/style.css", "body{}"},
      {"/manual/", "manual/index.html", "<h1>docs</h1>"},
      {"/styles/site.css", "styles/site.css", "body{}"},
      {"/alias2.txt", "alias2.txt", "hello"},
      {"/manual/../hello.txt", "hello.txt", "hello"},  // cleaned before the walk
      // A ".." in a link target climbs the directories walked, as the kernel's would:
      // manual -> docs, sub -> guide, back.txt -> guide/../.. = the root.
      {"/manual/sub/back.txt", "manual/sub/back.txt", "hello"},
  });
}

TEST_F(StaticPath, SymlinksLeadingOutOfTheRootAreRefused) {
  symlink("../secret/key.txt", "www/key.txt");
  symlink("../secret", "www/secret");
  symlink("/etc", "www/etc");
  symlink("/etc/passwd", "www/passwd");
  symlink((base_ / "www/hello.txt").string(), "www/absolute-inside.txt");
  symlink("../../secret/key.txt", "www/css/deep.txt");
  symlink("../www/../secret/key.txt", "www/roundabout.txt");
  symlink("css/../../secret", "www/sneaky");
  for (std::string_view subpath : {
           "/key.txt",
           "/secret/key.txt",
           "/secret/",
           "/etc/passwd",
           "/etc/",
           "/passwd",
           "/absolute-inside.txt",  // absolute targets are refused, even into the root
           "/css/deep.txt",
           "/roundabout.txt",  // climbs above the root, if only for a moment
           "/sneaky/key.txt",
       }) {
    SCOPED_TRACE(subpath);
    const StaticLookup found = lookup(subpath);
    EXPECT_EQ(found.status, 404);
    EXPECT_FALSE(found.file);
  }
}

TEST_F(StaticPath, SymlinkLoopIsAServerError) {
  symlink("loop-b", "www/loop-a");
  symlink("loop-a", "www/loop-b");
  EXPECT_EQ(lookup("/loop-a").status, 500);
  symlink(".", "www/self");
  EXPECT_EQ(lookup("/self/self/self/hello.txt").relative_path, "self/self/self/hello.txt");
}

TEST_F(StaticPath, DirectoriesAreServedByTheirIndexOnly) {
  EXPECT_EQ(lookup("/docs/guide/").status, 404) << "no index.html and no listing";
  EXPECT_EQ(lookup("/").status, 404) << "the root has no index.html";
  write("www/index.html", "root index");
  const StaticLookup root_index = lookup("/");
  ASSERT_TRUE(root_index.found());
  EXPECT_EQ(root_index.relative_path, "index.html");
  EXPECT_EQ(content_of(root_index), "root index");

  fs::create_directories(base_ / "www/odd/index.html");  // an index that is a directory
  EXPECT_EQ(lookup("/odd/").status, 404);
  symlink("../../secret/key.txt", "www/docs/guide/index.html");  // an index leading out
  EXPECT_EQ(lookup("/docs/guide/").status, 404);
  symlink("../hello.txt", "www/css/index.html");  // an index leading elsewhere inside
  const StaticLookup css = lookup("/css/");
  ASSERT_TRUE(css.found());
  EXPECT_EQ(css.relative_path, "css/index.html");
  EXPECT_EQ(content_of(css), "hello");
}

TEST_F(StaticPath, CanonicalRedirectsAsGoFileServer) {
  write("www/index.html", "root index");
  struct Case {
    std::string_view subpath;
    StaticRedirect redirect;
  };
  const Case cases[] = {
      {"/docs", StaticRedirect::add_trailing_slash},
      {"docs", StaticRedirect::add_trailing_slash},
      {"", StaticRedirect::add_trailing_slash},  // the root, named without its slash
      {"/docs/guide", StaticRedirect::add_trailing_slash},
      {"/hello.txt/", StaticRedirect::remove_trailing_slash},
      {"/docs/index.html", StaticRedirect::index_to_directory},
      {"/index.html", StaticRedirect::index_to_directory},
      {"index.html", StaticRedirect::index_to_directory},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.subpath);
    const StaticLookup found = lookup(c.subpath);
    EXPECT_EQ(found.status, 301);
    EXPECT_EQ(found.redirect, c.redirect);
    EXPECT_FALSE(found.file);
  }
  // A last "." or ".." element names a directory in its directory form, like a slash.
  for (std::string_view subpath : {"/docs/.", "/docs/guide/..", "/css/../docs/."}) {
    SCOPED_TRACE(subpath);
    const StaticLookup found = lookup(subpath);
    ASSERT_TRUE(found.found());
    EXPECT_EQ(found.relative_path, "docs/index.html");
  }
  EXPECT_EQ(lookup("/..").relative_path, "index.html");
  EXPECT_EQ(lookup("/hello.txt/.").relative_path, "hello.txt") << "served, as in Go";
  EXPECT_EQ(lookup("/docs/guide/index.html").status, 404) << "a missing index: no redirect";
  EXPECT_EQ(lookup("/nothing").status, 404);
  EXPECT_EQ(lookup("/nothing/").status, 404);
  EXPECT_TRUE(lookup("/docs/xindex.html").status == 404);
}

TEST_F(StaticPath, ErrorsAreMappedWithoutOsText) {
  EXPECT_EQ(lookup("/hello.txt/more").status, 404) << "a file used as a directory";
  EXPECT_EQ(resolve_static_path((base_ / "missing").string(), "/hello.txt").status, 404);
  EXPECT_EQ(resolve_static_path(root_ + "/hello.txt", "/x").status, 404) << "root not a dir";
  EXPECT_EQ(lookup("/" + std::string(300, 'a')).status, 404) << "name too long";
  ASSERT_EQ(::mkfifo((base_ / "www/pipe").c_str(), 0600), 0);
  EXPECT_EQ(lookup("/pipe").status, 404) << "a FIFO is not served, and opening it never blocks";
}

TEST_F(StaticPath, UnreadableDirectoryIsForbidden) {
  // Root reads anything; the lookup runs with this thread's file system user set to nobody,
  // which drops CAP_DAC_OVERRIDE for this thread only (setfsuid(2)).
  constexpr uid_t kNobody = 65534;
  const bool as_root = ::geteuid() == 0;
  fs::permissions(base_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec);
  fs::permissions(base_ / "www/css", fs::perms::none);
  auto lookup_unprivileged = [&](std::string_view subpath) {
    if (as_root) ::setfsuid(kNobody);
    StaticLookup result = lookup(subpath);
    if (as_root) ::setfsuid(0);
    return result;
  };
  const StaticLookup readable = lookup_unprivileged("/hello.txt");
  const StaticLookup forbidden = lookup_unprivileged("/css/site.css");
  fs::permissions(base_ / "www/css", fs::perms::owner_all);
  if (as_root && static_cast<uid_t>(::setfsuid(static_cast<uid_t>(-1))) != 0) {
    GTEST_FAIL() << "the file system user stayed nobody";
  }
  ASSERT_TRUE(readable.found()) << "the tree is readable to others but for css/: "
                                << readable.status;
  EXPECT_EQ(forbidden.status, 403);
  EXPECT_EQ(forbidden.reason, "403 Forbidden");
  EXPECT_FALSE(forbidden.file);
}

// Each worker keeps the root open for up to a second (the fast path's cost is then nginx's);
// a deploy that switches the link is served from the new root once that second is over.
TEST_F(StaticPath, RootMayBeASymlinkAndASwitchedLinkIsFollowedWithinASecond) {
  write("v2/hello.txt", "hello v2");
  symlink("www", "current");
  const std::string current = (base_ / "current").string();
  EXPECT_EQ(content_of(resolve_static_path(current, "/hello.txt")), "hello");
  fs::remove(base_ / "current");
  symlink("v2", "current");  // a deploy switches the link
  std::string served;
  for (int attempt = 0; attempt < 1000 && served != "hello v2"; ++attempt) {
    served = content_of(resolve_static_path(current, "/hello.txt"));
    if (served == "hello") std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(served, "hello v2");
  // Lookups that miss the fast path (a directory) open the root anew at once.
  write("v2/docs/index.html", "v2 docs");
  EXPECT_EQ(content_of(resolve_static_path(current, "/docs/")), "v2 docs");
}

TEST_F(StaticPath, OpenStaticFileFollowsTheApplicationsPath) {
  symlink("../secret/key.txt", "www/key.txt");
  const StaticLookup key = open_static_file(root_ + "/key.txt");
  ASSERT_TRUE(key.found()) << "the application chose the path: symlinks are followed";
  EXPECT_EQ(content_of(key), "do not serve");

  const StaticLookup docs = open_static_file(root_ + "/docs");
  ASSERT_TRUE(docs.found());
  EXPECT_EQ(docs.relative_path, root_ + "/docs/index.html");
  EXPECT_EQ(content_of(docs), "<h1>docs</h1>");
  EXPECT_EQ(open_static_file(root_ + "/docs/").relative_path, root_ + "/docs/index.html");

  EXPECT_EQ(open_static_file(root_ + "/docs/guide").status, 404);
  EXPECT_EQ(open_static_file(root_ + "/missing").status, 404);
  EXPECT_EQ(open_static_file(std::string("/etc/passwd\0x", 13)).status, 400);
}

TEST_F(StaticPath, DescriptorIsClosedWithTheLookup) {
  int fd = -1;
  {
    const StaticLookup found = lookup("/hello.txt");
    fd = found.file.get();
    ASSERT_GE(::fcntl(fd, F_GETFD), 0);
  }
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1) << "closed when the lookup went out of scope";

  StaticLookup found = lookup("/hello.txt");
  const int released = found.file.release();
  EXPECT_FALSE(found.file);
  EXPECT_GE(::fcntl(released, F_GETFD), 0);
  ::close(released);
}

TEST(StaticPathClean, AsGoPathCleanRooted) {
  struct Case {
    std::string_view in;
    std::string_view out;
  };
  const Case cases[] = {
      {"", ""},
      {"/", ""},
      {"a", "a"},
      {"/a/b/", "a/b"},
      {"//a//b", "a/b"},
      {"/a/./b/.", "a/b"},
      {"/a/../b", "b"},
      {"/../a", "a"},
      {"/a/../../b", "b"},
      {"../../..", ""},
      {"/a/b/../..", ""},
      {"a\\..\\b", "a\\..\\b"},
      {"/.../a", ".../a"},
      {"/..a/b..", "..a/b.."},
  };
  for (const Case& c : cases) EXPECT_EQ(clean_static_subpath(c.in), c.out) << c.in;
}

TEST(StaticPathRedirect, LocationIsRelativeAsGoLocalRedirect) {
  struct Case {
    std::string_view request_path;
    std::string_view query;
    StaticRedirect redirect;
    std::string_view location;
  };
  const Case cases[] = {
      {"/static/docs", "", StaticRedirect::add_trailing_slash, "./docs/"},
      {"/static/docs", "v=1&x", StaticRedirect::add_trailing_slash, "./docs/?v=1&x"},
      {"/static", "", StaticRedirect::add_trailing_slash, "./static/"},
      {"/static/a:b", "", StaticRedirect::add_trailing_slash, "./a:b/"},
      {"/static/caf%C3%A9", "", StaticRedirect::add_trailing_slash, "./caf%C3%A9/"},
      {"/static/a.txt/", "", StaticRedirect::remove_trailing_slash, "../a.txt"},
      {"/static/a.txt//", "q", StaticRedirect::remove_trailing_slash, "../../a.txt?q"},
      {"/static/docs/index.html", "", StaticRedirect::index_to_directory, "./"},
      {"/index.html", "a=b", StaticRedirect::index_to_directory, "./?a=b"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(static_redirect_location(c.request_path, c.query, c.redirect), c.location)
        << c.request_path;
  }
}

TEST(StaticPathDotDot, AsGoContainsDotDot) {
  for (std::string_view path : {"..", "/..", "/a/../b", "/a/..", "a\\..\\b", "/..\\x"}) {
    EXPECT_TRUE(has_dot_dot_element(path)) << path;
  }
  for (std::string_view path : {"", "/", "/a..b", "/...", "/a/..b/", "/.a", "/a/b.."}) {
    EXPECT_FALSE(has_dot_dot_element(path)) << path;
  }
}

}  // namespace
