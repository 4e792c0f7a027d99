// The router's radix tree, case by case after Gin 1.8.1's tree_test.go.

#include "router/tree.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sloe/errors.hpp"

namespace sloe::router {
namespace {

using Routes = std::vector<std::string_view>;

// A lookup and what it should find: the pattern (empty for a miss) and its parameters.
struct Request {
  std::string_view path;
  std::string_view route;
  std::vector<Param> params;
};

// Registers each pattern under its index in `routes`.
void add_all(Tree& tree, const Routes& routes) {
  for (std::uint32_t id = 0; id < routes.size(); ++id) tree.add(routes[id], id);
}

void check_requests(const Tree& tree, const Routes& routes, const std::vector<Request>& requests) {
  for (const Request& r : requests) {
    SCOPED_TRACE(std::string(r.path));
    Params params;
    params.reserve(tree.max_params());
    const Match m = tree.find(r.path, params);
    if (r.route.empty()) {
      EXPECT_EQ(m.route, kNoRoute) << "matched " << m.full_path;
      EXPECT_TRUE(params.empty());
      continue;
    }
    ASSERT_NE(m.route, kNoRoute);
    EXPECT_EQ(routes.at(m.route), r.route);
    EXPECT_EQ(m.full_path, r.route);
    EXPECT_FALSE(m.trailing_slash_redirect);
    EXPECT_EQ(params, r.params);
  }
}

// The RouteConflict message `add` throws, or nullopt if it does not throw.
std::optional<std::string> add_error(Tree& tree, std::string_view route, std::uint32_t id = 0) {
  try {
    tree.add(route, id);
  } catch (const RouteConflict& e) {
    return std::string(e.what());
  }
  return std::nullopt;
}

bool mentions(const std::string& message, std::string_view route) {
  return message.find("'" + std::string(route) + "'") != std::string::npos;
}

TEST(Tree, AddAndGet) {
  const Routes routes = {"/hi",   "/contact",         "/co",           "/c", "/a", "/ab",
                         "/doc/", "/doc/go_faq.html", "/doc/go1.html", "/α", "/β"};
  Tree tree;
  add_all(tree, routes);
  check_requests(tree, routes,
                 {
                     {"/a", "/a", {}},
                     {"/", "", {}},
                     {"/hi", "/hi", {}},
                     {"/contact", "/contact", {}},
                     {"/co", "/co", {}},
                     {"/con", "", {}},   // key mismatch
                     {"/cona", "", {}},  // key mismatch
                     {"/no", "", {}},    // no matching child
                     {"/ab", "/ab", {}},
                     {"/α", "/α", {}},
                     {"/β", "/β", {}},
                 });
}

TEST(Tree, Wildcard) {
  const Routes routes = {
      "/",
      "/cmd/:tool/",
      "/cmd/:tool/:sub",
      "/cmd/whoami",
      "/cmd/whoami/root",
      "/cmd/whoami/root/",
      "/src/*filepath",
      "/search/",
      "/search/:query",
      "/search/gin-gonic",
      "/search/google",
      "/user_:name",
      "/user_:name/about",
      "/files/:dir/*filepath",
      "/doc/",
      "/doc/go_faq.html",
      "/doc/go1.html",
      "/info/:user/public",
      "/info/:user/project/:project",
      "/info/:user/project/golang",
      "/aa/*xx",
      "/ab/*xx",
      "/:cc",
      "/c1/:dd/e",
      "/c1/:dd/e1",
      "/:cc/cc",
      "/:cc/:dd/ee",
      "/:cc/:dd/:ee/ff",
      "/:cc/:dd/:ee/:ff/gg",
      "/:cc/:dd/:ee/:ff/:gg/hh",
      "/get/test/abc/",
      "/get/:param/abc/",
      "/something/:paramname/thirdthing",
      "/something/secondthing/test",
      "/get/abc",
      "/get/:param",
      "/get/abc/123abc",
      "/get/abc/:param",
      "/get/abc/123abc/xxx8",
      "/get/abc/123abc/:param",
      "/get/abc/123abc/xxx8/1234",
      "/get/abc/123abc/xxx8/:param",
      "/get/abc/123abc/xxx8/1234/ffas",
      "/get/abc/123abc/xxx8/1234/:param",
      "/get/abc/123abc/xxx8/1234/kkdd/12c",
      "/get/abc/123abc/xxx8/1234/kkdd/:param",
      "/get/abc/:param/test",
      "/get/abc/123abd/:param",
      "/get/abc/123abddd/:param",
      "/get/abc/123/:param",
      "/get/abc/123abg/:param",
      "/get/abc/123abf/:param",
      "/get/abc/123abfff/:param",
  };
  Tree tree;
  add_all(tree, routes);
  EXPECT_EQ(tree.max_params(), 5u);
  check_requests(
      tree, routes,
      {
          {"/", "/", {}},
          {"/cmd/test", "", {}},
          {"/cmd/test/", "/cmd/:tool/", {{"tool", "test"}}},
          {"/cmd/test/3", "/cmd/:tool/:sub", {{"tool", "test"}, {"sub", "3"}}},
          {"/cmd/who", "", {}},
          {"/cmd/who/", "/cmd/:tool/", {{"tool", "who"}}},
          {"/cmd/whoami", "/cmd/whoami", {}},
          {"/cmd/whoami/", "", {}},
          {"/cmd/whoami/r", "/cmd/:tool/:sub", {{"tool", "whoami"}, {"sub", "r"}}},
          {"/cmd/whoami/r/", "", {}},
          {"/cmd/whoami/root", "/cmd/whoami/root", {}},
          {"/cmd/whoami/root/", "/cmd/whoami/root/", {}},
          {"/src/", "/src/*filepath", {{"filepath", "/"}}},
          {"/src/some/file.png", "/src/*filepath", {{"filepath", "/some/file.png"}}},
          {"/search/", "/search/", {}},
          {"/search/someth!ng+in+ünìcodé", "/search/:query", {{"query", "someth!ng+in+ünìcodé"}}},
          {"/search/someth!ng+in+ünìcodé/", "", {}},
          {"/search/gin", "/search/:query", {{"query", "gin"}}},
          {"/search/gin-gonic", "/search/gin-gonic", {}},
          {"/search/google", "/search/google", {}},
          {"/user_gopher", "/user_:name", {{"name", "gopher"}}},
          {"/user_gopher/about", "/user_:name/about", {{"name", "gopher"}}},
          {"/files/js/inc/framework.js",
           "/files/:dir/*filepath",
           {{"dir", "js"}, {"filepath", "/inc/framework.js"}}},
          {"/info/gordon/public", "/info/:user/public", {{"user", "gordon"}}},
          {"/info/gordon/project/go",
           "/info/:user/project/:project",
           {{"user", "gordon"}, {"project", "go"}}},
          {"/info/gordon/project/golang", "/info/:user/project/golang", {{"user", "gordon"}}},
          {"/aa/aa", "/aa/*xx", {{"xx", "/aa"}}},
          {"/ab/ab", "/ab/*xx", {{"xx", "/ab"}}},
          {"/a", "/:cc", {{"cc", "a"}}},
          {"/all", "/:cc", {{"cc", "all"}}},
          {"/d", "/:cc", {{"cc", "d"}}},
          {"/ad", "/:cc", {{"cc", "ad"}}},
          {"/dd", "/:cc", {{"cc", "dd"}}},
          {"/dddaa", "/:cc", {{"cc", "dddaa"}}},
          {"/aa", "/:cc", {{"cc", "aa"}}},
          {"/aaa", "/:cc", {{"cc", "aaa"}}},
          {"/aaa/cc", "/:cc/cc", {{"cc", "aaa"}}},
          {"/ab", "/:cc", {{"cc", "ab"}}},
          {"/abb", "/:cc", {{"cc", "abb"}}},
          {"/abb/cc", "/:cc/cc", {{"cc", "abb"}}},
          {"/allxxxx", "/:cc", {{"cc", "allxxxx"}}},
          {"/alldd", "/:cc", {{"cc", "alldd"}}},
          {"/all/cc", "/:cc/cc", {{"cc", "all"}}},
          {"/a/cc", "/:cc/cc", {{"cc", "a"}}},
          {"/c1/d/e", "/c1/:dd/e", {{"dd", "d"}}},
          {"/c1/d/e1", "/c1/:dd/e1", {{"dd", "d"}}},
          {"/c1/d/ee", "/:cc/:dd/ee", {{"cc", "c1"}, {"dd", "d"}}},
          {"/cc/cc", "/:cc/cc", {{"cc", "cc"}}},
          {"/ccc/cc", "/:cc/cc", {{"cc", "ccc"}}},
          {"/deedwjfs/cc", "/:cc/cc", {{"cc", "deedwjfs"}}},
          {"/acllcc/cc", "/:cc/cc", {{"cc", "acllcc"}}},
          {"/get/test/abc/", "/get/test/abc/", {}},
          {"/get/te/abc/", "/get/:param/abc/", {{"param", "te"}}},
          {"/get/testaa/abc/", "/get/:param/abc/", {{"param", "testaa"}}},
          {"/get/xx/abc/", "/get/:param/abc/", {{"param", "xx"}}},
          {"/get/tt/abc/", "/get/:param/abc/", {{"param", "tt"}}},
          {"/get/a/abc/", "/get/:param/abc/", {{"param", "a"}}},
          {"/get/t/abc/", "/get/:param/abc/", {{"param", "t"}}},
          {"/get/aa/abc/", "/get/:param/abc/", {{"param", "aa"}}},
          {"/get/abas/abc/", "/get/:param/abc/", {{"param", "abas"}}},
          {"/something/secondthing/test", "/something/secondthing/test", {}},
          {"/something/abcdad/thirdthing",
           "/something/:paramname/thirdthing",
           {{"paramname", "abcdad"}}},
          {"/something/secondthingaaaa/thirdthing",
           "/something/:paramname/thirdthing",
           {{"paramname", "secondthingaaaa"}}},
          {"/something/se/thirdthing", "/something/:paramname/thirdthing", {{"paramname", "se"}}},
          {"/something/s/thirdthing", "/something/:paramname/thirdthing", {{"paramname", "s"}}},
          {"/c/d/ee", "/:cc/:dd/ee", {{"cc", "c"}, {"dd", "d"}}},
          {"/c/d/e/ff", "/:cc/:dd/:ee/ff", {{"cc", "c"}, {"dd", "d"}, {"ee", "e"}}},
          {"/c/d/e/f/gg",
           "/:cc/:dd/:ee/:ff/gg",
           {{"cc", "c"}, {"dd", "d"}, {"ee", "e"}, {"ff", "f"}}},
          {"/c/d/e/f/g/hh",
           "/:cc/:dd/:ee/:ff/:gg/hh",
           {{"cc", "c"}, {"dd", "d"}, {"ee", "e"}, {"ff", "f"}, {"gg", "g"}}},
          {"/cc/dd/ee/ff/gg/hh",
           "/:cc/:dd/:ee/:ff/:gg/hh",
           {{"cc", "cc"}, {"dd", "dd"}, {"ee", "ee"}, {"ff", "ff"}, {"gg", "gg"}}},
          {"/get/abc", "/get/abc", {}},
          {"/get/a", "/get/:param", {{"param", "a"}}},
          {"/get/abz", "/get/:param", {{"param", "abz"}}},
          {"/get/12a", "/get/:param", {{"param", "12a"}}},
          {"/get/abcd", "/get/:param", {{"param", "abcd"}}},
          {"/get/abc/123abc", "/get/abc/123abc", {}},
          {"/get/abc/12", "/get/abc/:param", {{"param", "12"}}},
          {"/get/abc/123ab", "/get/abc/:param", {{"param", "123ab"}}},
          {"/get/abc/xyz", "/get/abc/:param", {{"param", "xyz"}}},
          {"/get/abc/123abcddxx", "/get/abc/:param", {{"param", "123abcddxx"}}},
          {"/get/abc/123abc/xxx8", "/get/abc/123abc/xxx8", {}},
          {"/get/abc/123abc/x", "/get/abc/123abc/:param", {{"param", "x"}}},
          {"/get/abc/123abc/xxx", "/get/abc/123abc/:param", {{"param", "xxx"}}},
          {"/get/abc/123abc/abc", "/get/abc/123abc/:param", {{"param", "abc"}}},
          {"/get/abc/123abc/xxx8xxas", "/get/abc/123abc/:param", {{"param", "xxx8xxas"}}},
          {"/get/abc/123abc/xxx8/1234", "/get/abc/123abc/xxx8/1234", {}},
          {"/get/abc/123abc/xxx8/1", "/get/abc/123abc/xxx8/:param", {{"param", "1"}}},
          {"/get/abc/123abc/xxx8/123", "/get/abc/123abc/xxx8/:param", {{"param", "123"}}},
          {"/get/abc/123abc/xxx8/78k", "/get/abc/123abc/xxx8/:param", {{"param", "78k"}}},
          {"/get/abc/123abc/xxx8/1234xxxd", "/get/abc/123abc/xxx8/:param", {{"param", "1234xxxd"}}},
          {"/get/abc/123abc/xxx8/1234/ffas", "/get/abc/123abc/xxx8/1234/ffas", {}},
          {"/get/abc/123abc/xxx8/1234/f", "/get/abc/123abc/xxx8/1234/:param", {{"param", "f"}}},
          {"/get/abc/123abc/xxx8/1234/ffa", "/get/abc/123abc/xxx8/1234/:param", {{"param", "ffa"}}},
          {"/get/abc/123abc/xxx8/1234/kka", "/get/abc/123abc/xxx8/1234/:param", {{"param", "kka"}}},
          {"/get/abc/123abc/xxx8/1234/ffas321",
           "/get/abc/123abc/xxx8/1234/:param",
           {{"param", "ffas321"}}},
          {"/get/abc/123abc/xxx8/1234/kkdd/12c", "/get/abc/123abc/xxx8/1234/kkdd/12c", {}},
          {"/get/abc/123abc/xxx8/1234/kkdd/1",
           "/get/abc/123abc/xxx8/1234/kkdd/:param",
           {{"param", "1"}}},
          {"/get/abc/123abc/xxx8/1234/kkdd/12",
           "/get/abc/123abc/xxx8/1234/kkdd/:param",
           {{"param", "12"}}},
          {"/get/abc/123abc/xxx8/1234/kkdd/12b",
           "/get/abc/123abc/xxx8/1234/kkdd/:param",
           {{"param", "12b"}}},
          {"/get/abc/123abc/xxx8/1234/kkdd/34",
           "/get/abc/123abc/xxx8/1234/kkdd/:param",
           {{"param", "34"}}},
          {"/get/abc/123abc/xxx8/1234/kkdd/12c2e3",
           "/get/abc/123abc/xxx8/1234/kkdd/:param",
           {{"param", "12c2e3"}}},
          {"/get/abc/12/test", "/get/abc/:param/test", {{"param", "12"}}},
          {"/get/abc/123abdd/test", "/get/abc/:param/test", {{"param", "123abdd"}}},
          {"/get/abc/123abdddf/test", "/get/abc/:param/test", {{"param", "123abdddf"}}},
          {"/get/abc/123ab/test", "/get/abc/:param/test", {{"param", "123ab"}}},
          {"/get/abc/123abgg/test", "/get/abc/:param/test", {{"param", "123abgg"}}},
          {"/get/abc/123abff/test", "/get/abc/:param/test", {{"param", "123abff"}}},
          {"/get/abc/123abffff/test", "/get/abc/:param/test", {{"param", "123abffff"}}},
          {"/get/abc/123abd/test", "/get/abc/123abd/:param", {{"param", "test"}}},
          {"/get/abc/123abddd/test", "/get/abc/123abddd/:param", {{"param", "test"}}},
          {"/get/abc/123/test22", "/get/abc/123/:param", {{"param", "test22"}}},
          {"/get/abc/123abg/test", "/get/abc/123abg/:param", {{"param", "test"}}},
          {"/get/abc/123abf/testss", "/get/abc/123abf/:param", {{"param", "testss"}}},
          {"/get/abc/123abfff/te", "/get/abc/123abfff/:param", {{"param", "te"}}},
      });
}

// Gin unescapes these values when asked to; sloe's tree hands out raw views and leaves
// unescaping to the caller, so the values here keep their escapes.
TEST(Tree, RawParameterValues) {
  const Routes routes = {"/",
                         "/cmd/:tool/:sub",
                         "/cmd/:tool/",
                         "/src/*filepath",
                         "/search/:query",
                         "/files/:dir/*filepath",
                         "/info/:user/project/:project",
                         "/info/:user"};
  Tree tree;
  add_all(tree, routes);
  check_requests(
      tree, routes,
      {
          {"/", "/", {}},
          {"/cmd/test/", "/cmd/:tool/", {{"tool", "test"}}},
          {"/cmd/test", "", {}},
          {"/src/some/file.png", "/src/*filepath", {{"filepath", "/some/file.png"}}},
          {"/src/some/file+test.png", "/src/*filepath", {{"filepath", "/some/file+test.png"}}},
          {"/src/some/file%2Ftest.png", "/src/*filepath", {{"filepath", "/some/file%2Ftest.png"}}},
          {"/search/someth!ng+in+ünìcodé", "/search/:query", {{"query", "someth!ng+in+ünìcodé"}}},
          {"/info/gordon/project/go",
           "/info/:user/project/:project",
           {{"user", "gordon"}, {"project", "go"}}},
          {"/info/slash%2Fgordon", "/info/:user", {{"user", "slash%2Fgordon"}}},
          {"/info/slash%2Fgordon/project/Project%20%231",
           "/info/:user/project/:project",
           {{"user", "slash%2Fgordon"}, {"project", "Project%20%231"}}},
          {"/info/slash%%%%", "/info/:user", {{"user", "slash%%%%"}}},
      });
}

// A route to add and, when it must be refused, the existing route the error has to name
// ("" when the pattern itself is malformed and no existing route is involved).
struct AddCase {
  std::string_view route;
  bool conflict;
  std::string_view existing = {};
};

void check_adds(const std::vector<AddCase>& cases) {
  Tree tree;
  std::uint32_t id = 0;
  for (const AddCase& c : cases) {
    SCOPED_TRACE(std::string(c.route));
    const std::optional<std::string> error = add_error(tree, c.route, id++);
    if (!c.conflict) {
      EXPECT_FALSE(error) << *error;
      continue;
    }
    ASSERT_TRUE(error);
    EXPECT_TRUE(mentions(*error, c.route)) << *error;
    if (!c.existing.empty()) {
      EXPECT_TRUE(mentions(*error, c.existing)) << *error;
    }
  }
}

TEST(Tree, WildcardConflict) {
  check_adds({
      {"/cmd/:tool/:sub", false},
      {"/cmd/vet", false},
      {"/foo/bar", false},
      {"/foo/:name", false},
      {"/foo/:names", true, "/foo/:name"},
      {"/cmd/*path", true, "/cmd/:tool/:sub"},
      {"/cmd/:badvar", true, "/cmd/:tool/:sub"},
      {"/cmd/:tool/names", false},
      {"/cmd/:tool/:badsub/details", true, "/cmd/:tool/:sub"},
      {"/src/*filepath", false},
      {"/src/:file", true, "/src/*filepath"},
      {"/src/static.json", true, "/src/*filepath"},
      {"/src/*filepathx", true, "/src/*filepath"},
      {"/src/", true, "/src/*filepath"},
      {"/src/foo/bar", true, "/src/*filepath"},
      {"/src1/", false},
      {"/src1/*filepath", true, "/src1/"},  // Gin: index out of range
      {"/src2*filepath", true},             // no '/' before the catch-all
      {"/src2/*filepath", false},
      {"/search/:query", false},
      {"/search/valid", false},
      {"/user_:name", false},
      {"/user_x", false},
      // Gin accepts the second registration because its test adds nil handlers.
      {"/user_:name", true, "/user_:name"},
      {"/id:id", false},
      {"/id/:id", false},
  });
}

TEST(Tree, CatchAllAfterSlash) {
  check_adds({{"/non-leading-*catchall", true}});
}

TEST(Tree, ChildConflict) {
  check_adds({
      {"/cmd/vet", false},
      {"/cmd/:tool", false},
      {"/cmd/:tool/:sub", false},
      {"/cmd/:tool/misc", false},
      {"/cmd/:tool/:othersub", true, "/cmd/:tool/:sub"},
      {"/src/AUTHORS", false},
      {"/src/*filepath", true, "/src/AUTHORS"},
      {"/user_x", false},
      {"/user_:name", false},
      {"/id/:id", false},
      {"/id:id", false},
      {"/:id", false},
      {"/*filepath", true, "/:id"},
  });
}

TEST(Tree, CatchAllConflict) {
  check_adds({
      {"/src/*filepath/x", true},
      {"/src2/", false},
      {"/src2/*filepath/x", true},
      {"/src3/*filepath", false},
      {"/src3/*filepath/x", true},
  });
}

// Gin 1.8.1 fails these with an index out of range instead of its conflict message.
TEST(Tree, CatchAllConflictWithLeaf) {
  check_adds({{"/", false}, {"/*filepath", true, "/"}});
  check_adds({{"/src/", false}, {"/src/*filepath", true, "/src/"}});
  check_adds({{"/src/a", false}, {"/src/*filepath", true, "/src/a"}});
  check_adds({{"/ab", false}, {"/ac", false}, {"/a/*filepath", false}});
}

TEST(Tree, DuplicatePath) {
  const Routes routes = {"/", "/doc/", "/src/*filepath", "/search/:query", "/user_:name"};
  Tree tree;
  for (std::uint32_t id = 0; id < routes.size(); ++id) {
    SCOPED_TRACE(std::string(routes[id]));
    ASSERT_FALSE(add_error(tree, routes[id], id));
    const std::optional<std::string> error = add_error(tree, routes[id], 99);
    ASSERT_TRUE(error);
    EXPECT_TRUE(mentions(*error, routes[id])) << *error;
  }
  check_requests(
      tree, routes,
      {
          {"/", "/", {}},
          {"/doc/", "/doc/", {}},
          {"/src/some/file.png", "/src/*filepath", {{"filepath", "/some/file.png"}}},
          {"/search/someth!ng+in+ünìcodé", "/search/:query", {{"query", "someth!ng+in+ünìcodé"}}},
          {"/user_gopher", "/user_:name", {{"name", "gopher"}}},
      });
}

TEST(Tree, MalformedPatterns) {
  struct Case {
    std::string_view route;
    std::string_view reason;
  };
  const Case cases[] = {
      {"/user:", "non-empty name"},
      {"/user:/", "non-empty name"},
      {"/cmd/:/", "non-empty name"},
      {"/src/*", "non-empty name"},
      {"/:foo:bar", "only one wildcard per path segment is allowed"},
      {"/:foo:bar/", "only one wildcard per path segment is allowed"},
      {"/:foo*bar", "only one wildcard per path segment is allowed"},
      {"/src/*filepath/x", "only allowed at the end"},
      {"/src*filepath", "must follow a '/'"},
      {"", "must begin with '/'"},
      {"users", "must begin with '/'"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.route));
    Tree tree;
    tree.add("/ok", 0);
    const std::optional<std::string> error = add_error(tree, c.route, 1);
    ASSERT_TRUE(error);
    EXPECT_TRUE(mentions(*error, c.route)) << *error;
    EXPECT_NE(error->find(c.reason), std::string::npos) << *error;
  }
}

TEST(Tree, WildcardConflictMessage) {
  struct Case {
    std::string_view route;
    std::string_view detail;
  };
  const Case cases[] = {
      {"/who/are/foo",
       "'/foo' conflicts with existing wildcard '/*you' in existing prefix '/who/are/*you'"},
      {"/who/are/foo/",
       "'/foo/' conflicts with existing wildcard '/*you' in existing prefix '/who/are/*you'"},
      {"/who/are/foo/bar",
       "'/foo/bar' conflicts with existing wildcard '/*you' in existing prefix '/who/are/*you'"},
      {"/con:nection",
       "':nection' conflicts with existing wildcard ':tact' in existing prefix '/con:tact'"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.route));
    Tree tree;
    add_all(tree, {"/con:tact", "/who/are/*you", "/who/foo/hello"});
    const std::optional<std::string> error = add_error(tree, c.route, 9);
    ASSERT_TRUE(error);
    EXPECT_TRUE(mentions(*error, c.route)) << *error;
    EXPECT_NE(error->find(c.detail), std::string::npos) << *error;
  }
}

// A refused route leaves the tree as it was.
TEST(Tree, ConflictLeavesTreeUnchanged) {
  const Routes routes = {"/src/AUTHORS", "/cmd/:tool", "/doc/"};
  Tree tree;
  add_all(tree, routes);
  EXPECT_TRUE(add_error(tree, "/src/*filepath", 7));
  EXPECT_TRUE(add_error(tree, "/cmd/:other/x", 7));
  EXPECT_TRUE(add_error(tree, "/doc/", 7));
  EXPECT_TRUE(add_error(tree, "/do*x", 7));
  EXPECT_EQ(tree.max_params(), 1u);
  check_requests(tree, routes,
                 {
                     {"/src/AUTHORS", "/src/AUTHORS", {}},
                     {"/src/other", "", {}},
                     {"/cmd/vet", "/cmd/:tool", {{"tool", "vet"}}},
                     {"/cmd/vet/x", "", {}},
                     {"/doc/", "/doc/", {}},
                     {"/doc", "", {}},
                 });
}

TEST(Tree, TrailingSlashRedirect) {
  const Routes routes = {"/hi",
                         "/b/",
                         "/search/:query",
                         "/cmd/:tool/",
                         "/src/*filepath",
                         "/x",
                         "/x/y",
                         "/y/",
                         "/y/z",
                         "/0/:id",
                         "/0/:id/1",
                         "/1/:id/",
                         "/1/:id/2",
                         "/aa",
                         "/a/",
                         "/admin",
                         "/admin/:category",
                         "/admin/:category/:page",
                         "/doc",
                         "/doc/go_faq.html",
                         "/doc/go1.html",
                         "/no/a",
                         "/no/b",
                         "/api/:page/:name",
                         "/api/hello/:name/bar/",
                         "/api/bar/:name",
                         "/api/baz/foo",
                         "/api/baz/foo/bar",
                         "/blog/:p",
                         "/posts/:b/:c",
                         "/posts/b/:c/d/",
                         "/vendor/:x/*y"};
  Tree tree;
  add_all(tree, routes);
  struct Case {
    std::string_view path;
    bool tsr;
  };
  const Case cases[] = {
      {"/hi/", true},
      {"/b", true},
      {"/search/gopher/", true},
      {"/cmd/vet", true},
      {"/src", true},
      {"/x/", true},
      {"/y", true},
      {"/0/go/", true},
      {"/1/go", true},
      {"/a", true},
      {"/admin/", true},
      {"/admin/config/", true},
      {"/admin/config/permissions/", true},
      {"/doc/", true},
      {"/admin/static/", true},
      {"/admin/cfg/", true},
      {"/admin/cfg/users/", true},
      {"/api/hello/x/bar", true},
      {"/api/baz/foo/", true},
      {"/api/baz/bax/", true},
      {"/api/bar/huh/", true},
      {"/api/baz/foo/bar/", true},
      {"/api/world/abc/", true},
      {"/blog/pp/", true},
      {"/posts/b/c/d", true},
      {"/vendor/x", true},
      {"/", false},
      {"/no", false},
      {"/no/", false},
      {"/_", false},
      {"/_/", false},
      {"/api", false},
      {"/api/", false},
      {"/api/hello/x/foo", false},
      {"/api/baz/foo/bad", false},
      {"/foo/p/p", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.path));
    Params params;
    const Match m = tree.find(c.path, params);
    EXPECT_EQ(m.route, kNoRoute) << m.full_path;
    EXPECT_EQ(m.trailing_slash_redirect, c.tsr);
    EXPECT_TRUE(params.empty());
  }
}

TEST(Tree, RootTrailingSlashRedirect) {
  Tree tree;
  tree.add("/:test", 0);
  Params params;
  const Match m = tree.find("/", params);
  EXPECT_EQ(m.route, kNoRoute);
  EXPECT_FALSE(m.trailing_slash_redirect);
}

const std::string kLongPath = "/l" + std::string(128, 'o') + "ng";
const std::string kLongUpperSlash = "/l" + std::string(128, 'O') + "ng/";

const Routes kCaseRoutes = {
    "/hi",
    "/b/",
    "/ABC/",
    "/search/:query",
    "/cmd/:tool/",
    "/src/*filepath",
    "/x",
    "/x/y",
    "/y/",
    "/y/z",
    "/0/:id",
    "/0/:id/1",
    "/1/:id/",
    "/1/:id/2",
    "/aa",
    "/a/",
    "/doc",
    "/doc/go_faq.html",
    "/doc/go1.html",
    "/doc/go/away",
    "/no/a",
    "/no/b",
    "/Π",
    "/u/apfêl/",
    "/u/äpfêl/",
    "/u/öpfêl",
    "/v/Äpfêl/",
    "/v/Öpfêl",
    "/w/♬",
    "/w/♭/",
    "/w/𠜎",
    "/w/𠜏/",
    kLongPath,
};

TEST(Tree, CaseInsensitiveFindsEveryRouteAsItself) {
  Tree tree;
  add_all(tree, kCaseRoutes);
  for (const std::string_view route : kCaseRoutes) {
    SCOPED_TRACE(std::string(route));
    EXPECT_EQ(tree.find_case_insensitive(route, true), std::string(route));
    EXPECT_EQ(tree.find_case_insensitive(route, false), std::string(route));
  }
}

TEST(Tree, CaseInsensitive) {
  Tree tree;
  add_all(tree, kCaseRoutes);
  struct Case {
    std::string_view in;
    std::string_view out;  // "" when nothing matches
    bool needs_slash_fix;
  };
  const Case cases[] = {
      {"/HI", "/hi", false},
      {"/HI/", "/hi", true},
      {"/B", "/b/", true},
      {"/B/", "/b/", false},
      {"/abc", "/ABC/", true},
      {"/abc/", "/ABC/", false},
      {"/aBc", "/ABC/", true},
      {"/aBc/", "/ABC/", false},
      {"/abC", "/ABC/", true},
      {"/abC/", "/ABC/", false},
      {"/SEARCH/QUERY", "/search/QUERY", false},
      {"/SEARCH/QUERY/", "/search/QUERY", true},
      {"/CMD/TOOL/", "/cmd/TOOL/", false},
      {"/CMD/TOOL", "/cmd/TOOL/", true},
      {"/SRC/FILE/PATH", "/src/FILE/PATH", false},
      {"/x/Y", "/x/y", false},
      {"/x/Y/", "/x/y", true},
      {"/X/y", "/x/y", false},
      {"/X/y/", "/x/y", true},
      {"/X/Y", "/x/y", false},
      {"/X/Y/", "/x/y", true},
      {"/Y/", "/y/", false},
      {"/Y", "/y/", true},
      {"/Y/z", "/y/z", false},
      {"/Y/z/", "/y/z", true},
      {"/Y/Z", "/y/z", false},
      {"/Y/Z/", "/y/z", true},
      {"/y/Z", "/y/z", false},
      {"/y/Z/", "/y/z", true},
      {"/Aa", "/aa", false},
      {"/Aa/", "/aa", true},
      {"/AA", "/aa", false},
      {"/AA/", "/aa", true},
      {"/aA", "/aa", false},
      {"/aA/", "/aa", true},
      {"/A/", "/a/", false},
      {"/A", "/a/", true},
      {"/DOC", "/doc", false},
      {"/DOC/", "/doc", true},
      {"/NO", "", true},
      {"/DOC/GO", "", true},
      {"/π", "/Π", false},
      {"/π/", "/Π", true},
      {"/u/ÄPFÊL/", "/u/äpfêl/", false},
      {"/u/ÄPFÊL", "/u/äpfêl/", true},
      {"/u/ÖPFÊL/", "/u/öpfêl", true},
      {"/u/ÖPFÊL", "/u/öpfêl", false},
      {"/v/äpfêL/", "/v/Äpfêl/", false},
      {"/v/äpfêL", "/v/Äpfêl/", true},
      {"/v/öpfêL/", "/v/Öpfêl", true},
      {"/v/öpfêL", "/v/Öpfêl", false},
      {"/w/♬/", "/w/♬", true},
      {"/w/♭", "/w/♭/", true},
      {"/w/𠜎/", "/w/𠜎", true},
      {"/w/𠜏", "/w/𠜏/", true},
      {kLongUpperSlash, kLongPath, true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.in));
    const std::optional<std::string> want =
        c.out.empty() ? std::nullopt : std::optional<std::string>(c.out);
    EXPECT_EQ(tree.find_case_insensitive(c.in, true), want);
    EXPECT_EQ(tree.find_case_insensitive(c.in, false), c.needs_slash_fix ? std::nullopt : want);
  }
}

// Gin 1.8.1 panics "invalid node type" on some of these: a node with both static and param
// children. sloe tries the static children first, then the param.
TEST(Tree, CaseInsensitiveStaticBesideParam) {
  const Routes routes = {"/users/new", "/users/:user", "/users/:user/repos", "/teams/:id/x",
                         "/teams/new/y"};
  Tree tree;
  add_all(tree, routes);
  struct Case {
    std::string_view in;
    bool fix;
    std::optional<std::string> out;
  };
  const Case cases[] = {
      {"/USERS/NEW", false, "/users/new"},
      {"/Users/New/", true, "/users/new"},
      {"/Users/Gopher", false, "/users/Gopher"},
      {"/USERS/Gopher/REPOS", false, "/users/Gopher/repos"},
      {"/USERS/NEW/REPOS", false, "/users/NEW/repos"},
      {"/USERS/NEW/REPOS/", true, "/users/NEW/repos"},
      {"/users/new/x", false, std::nullopt},
      {"/users/new/x", true, std::nullopt},
      {"/Users/Gopher/Stars", true, std::nullopt},
      {"/USERS", true, std::nullopt},
      {"/TEAMS/NEW/Y", false, "/teams/new/y"},
      {"/TEAMS/NEW/X", false, "/teams/NEW/x"},
      {"/TEAMS/NEW/Z", true, std::nullopt},
      {"/nothing", true, std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.in));
    EXPECT_EQ(tree.find_case_insensitive(c.in, c.fix), c.out);
  }
}

// Only paths that lead to a route come back, never a bare prefix.
TEST(Tree, CaseInsensitiveNeverReturnsAPrefix) {
  Tree tree;
  add_all(tree, {"/a/b", "/a/:c/d"});
  EXPECT_EQ(tree.find_case_insensitive("/", true), std::nullopt);
  EXPECT_EQ(tree.find_case_insensitive("/A/", true), std::nullopt);
  EXPECT_EQ(tree.find_case_insensitive("/A/X", true), std::nullopt);
  EXPECT_EQ(tree.find_case_insensitive("/A/X/D/", true), "/a/X/d");
  EXPECT_EQ(tree.find_case_insensitive("", true), std::nullopt);
}

TEST(Tree, FindAppendsToCallerParams) {
  Tree tree;
  add_all(tree, {"/a/:x", "/b/*rest"});
  Params params = {{"pre", "existing"}};
  Match m = tree.find("/a/1", params);
  EXPECT_EQ(m.route, 0u);
  EXPECT_EQ(params, (Params{{"pre", "existing"}, {"x", "1"}}));
  m = tree.find("/c", params);
  EXPECT_EQ(m.route, kNoRoute);
  EXPECT_EQ(params.size(), 2u);  // a miss leaves them as they were
  m = tree.find("/b/x/y", params);
  EXPECT_EQ(m.full_path, "/b/*rest");
  EXPECT_EQ(params.back(), (Param{"rest", "/x/y"}));
}

// Backtracking from a static child must drop the parameters collected on the way.
TEST(Tree, BacktrackingRollsBackParams) {
  const Routes routes = {"/:a/b/:c/d", "/x/b/:c/e", "/:a/b/y/f"};
  Tree tree;
  add_all(tree, routes);
  check_requests(tree, routes,
                 {
                     {"/x/b/1/d", "/:a/b/:c/d", {{"a", "x"}, {"c", "1"}}},
                     {"/x/b/1/e", "/x/b/:c/e", {{"c", "1"}}},
                     {"/x/b/y/f", "/:a/b/y/f", {{"a", "x"}}},
                     {"/q/b/y/f", "/:a/b/y/f", {{"a", "q"}}},
                 });
}

TEST(Tree, FindDoesNotAllocateWithReservedParams) {
  Tree tree;
  add_all(tree, {"/", "/users/new", "/users/:id", "/users/:id/repos/:repo/issues/:n",
                 "/static/*path", "/:a/:b/:c/:d/:e/:f"});
  ASSERT_EQ(tree.max_params(), 6u);
  Params params;
  params.reserve(tree.max_params());
  const Param* const data = params.data();
  const std::size_t capacity = params.capacity();
  const std::string paths[] = {"/users/42/repos/sloe/issues/7",
                               "/static/css/site.css",
                               "/1/2/3/4/5/6",
                               "/users/new",
                               "/users/x",
                               "/nope/x"};
  for (const std::string& path : paths) {
    SCOPED_TRACE(path);
    params.clear();
    const Match m = tree.find(path, params);
    EXPECT_EQ(params.data(), data);
    EXPECT_EQ(params.capacity(), capacity);
    for (const Param& p : params) {
      // values view into the looked-up path, not into a copy
      EXPECT_GE(p.value.data(), path.data());
      EXPECT_LE(p.value.data() + p.value.size(), path.data() + path.size());
    }
    if (path != "/nope/x") {
      EXPECT_NE(m.route, kNoRoute);
    }
  }
}

TEST(Tree, EmptyAndMaxParams) {
  Tree tree;
  EXPECT_TRUE(tree.empty());
  EXPECT_EQ(tree.max_params(), 0u);
  Params params;
  EXPECT_EQ(tree.find("/", params).route, kNoRoute);
  EXPECT_EQ(tree.find_case_insensitive("/", true), std::nullopt);
  tree.add("/path/:param1/static/*catch-all", 3);
  EXPECT_FALSE(tree.empty());
  EXPECT_EQ(tree.max_params(), 2u);
}

TEST(Tree, CatchAllAtRoot) {
  const Routes routes = {"/*filepath"};
  Tree tree;
  add_all(tree, routes);
  check_requests(tree, routes,
                 {
                     {"/", "/*filepath", {{"filepath", "/"}}},
                     {"/a/b", "/*filepath", {{"filepath", "/a/b"}}},
                 });
  EXPECT_TRUE(add_error(tree, "/x", 1));
  EXPECT_EQ(tree.find_case_insensitive("/A/b", false), "/A/b");
}

}  // namespace
}  // namespace sloe::router
