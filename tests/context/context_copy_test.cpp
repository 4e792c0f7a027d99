// sloe::ContextCopy: what c.copy() keeps of the request, once the request is over.

#include <gtest/gtest.h>
#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

using sloe::Context;
using sloe::ContextCopy;
using sloe::testing::Client;

// A copy looks up query parameters and headers as its Context does (they share one
// implementation): Go's url.ParseQuery semantics, the first value wins, '+' is a space, a pair
// with a malformed escape is skipped; header names are case-insensitive.
TEST(ContextCopy, LooksUpTheQueryAndHeadersAsItsContextDoes) {
  struct Case {
    const char* name;
    const char* query;
    const char* key;
    std::optional<std::string> first;
    std::vector<std::string> all;
  };
  const Case cases[] = {
      {"plain", "a=1", "a", "1", {"1"}},
      {"first of repeated", "a=1&a=2", "a", "1", {"1", "2"}},
      {"plus is a space", "q=a+b%2Bc", "q", "a b+c", {"a b+c"}},
      {"escaped name", "%61=x", "a", "x", {"x"}},
      {"malformed value skipped", "a=%zz&a=2", "a", "2", {"2"}},
      {"malformed name skipped", "%zz=1&a=2", "%zz", std::nullopt, {}},
      {"empty value and no '='", "a=&a&a=3", "a", "", {"", "", "3"}},
      {"absent", "b=1", "a", std::nullopt, {}},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    sloe::Engine app;
    std::optional<std::string> context_first;
    std::vector<std::string> context_all;
    std::string context_header;
    ContextCopy copy;
    app.get("/", [&](Context& c) {
      if (auto value = c.get_query(tc.key)) context_first = std::string(*value);
      for (std::string_view value : c.query_array(tc.key)) context_all.emplace_back(value);
      context_header = c.header("x-mixed-case");
      copy = c.copy();
      c.status(204);
    });
    Client client(app);
    client.get(std::string("/?") + tc.query, {{"X-Mixed-CASE", "v"}});
    EXPECT_EQ(context_first, tc.first);
    EXPECT_EQ(copy.get_query(tc.key), tc.first);
    EXPECT_EQ(copy.query(tc.key), tc.first.value_or(""));
    EXPECT_EQ(context_all, tc.all);
    EXPECT_EQ(copy.query_array(tc.key), tc.all);
    EXPECT_EQ(context_header, "v");
    EXPECT_EQ(copy.header("x-MIXED-case"), "v");
  }
}

// The copy's values live in one block that copies of the copy share: their views stay valid
// when the copy they came from is gone, and a moved-from copy reads as empty.
TEST(ContextCopy, CopiesOfACopyShareItsValues) {
  sloe::Engine app;
  std::optional<ContextCopy> first;
  app.get("/user/:id/:tab", [&](Context& c) {
    first = c.copy();
    c.status(204);
  });
  Client client(app);
  client.get("/user/42/posts?q=a+b", {{"X-One", "1"}, {"X-Two", "2"}});
  ASSERT_TRUE(first.has_value());
  ContextCopy second = *first;
  ContextCopy moved = std::move(*first);
  EXPECT_EQ(first->path(), "");
  EXPECT_TRUE(first->params().empty());
  first.reset();

  EXPECT_EQ(second.path(), "/user/42/posts");
  EXPECT_EQ(second.params().data(), moved.params().data());  // shared, not copied again
  const std::vector<sloe::Param> params(second.params().begin(), second.params().end());
  EXPECT_EQ(params, (std::vector<sloe::Param>{{"id", "42"}, {"tab", "posts"}}));
  std::vector<std::pair<std::string_view, std::string_view>> extra;
  for (const auto& [name, value] : moved.headers()) {
    if (name.starts_with("X-")) extra.emplace_back(name, value);
  }
  EXPECT_EQ(extra, (std::vector<std::pair<std::string_view, std::string_view>>{{"X-One", "1"},
                                                                               {"X-Two", "2"}}));
  EXPECT_EQ(moved.query("q"), "a b");
}

// The copy shares the request's keys instead of copying every value: it keeps them as they were
// when it was taken, whatever the handler sets or changes afterwards.
TEST(ContextCopy, KeepsTheKeysAsTheyWereWhenTaken) {
  sloe::Engine app;
  ContextCopy copy;
  std::string context_saw;
  app.get("/", [&](Context& c) {
    c.set("user", std::string("ann"));
    c.set("n", 1);
    copy = c.copy();
    *c.get<int>("n") = 2;
    c.set("user", std::string("bob"));
    c.set("late", true);
    context_saw = *c.get<std::string>("user") + "," + std::to_string(*c.get<int>("n"));
    c.status(204);
  });
  Client client(app);
  client.get("/");
  EXPECT_EQ(context_saw, "bob,2");
  ASSERT_NE(copy.get<std::string>("user"), nullptr);
  EXPECT_EQ(*copy.get<std::string>("user"), "ann");
  ASSERT_NE(copy.get<int>("n"), nullptr);
  EXPECT_EQ(*copy.get<int>("n"), 1);
  EXPECT_EQ(copy.get<bool>("late"), nullptr);
}

// A pointer get() returned before a copy reads its value for the rest of the request, also when
// the copy is gone and the Context has changed its keys since (ASan checks the read).
TEST(ContextCopy, APointerFromBeforeTheCopyStaysValidForTheRequest) {
  sloe::Engine app;
  app.get("/", [](Context& c) {
    c.set("user", std::string("a user name longer than a short string"));
    const std::string* before = c.get<std::string>("user");
    { ContextCopy gone = c.copy(); }
    c.set("user", std::string("another"));
    c.string(200, *before);
  });
  Client client(app);
  EXPECT_EQ(client.get("/").body, "a user name longer than a short string");
}

// Keys set in one request are not in the next one's copy, also when a copy took the table.
TEST(ContextCopy, TheNextRequestStartsWithoutKeys) {
  sloe::Engine app;
  std::vector<ContextCopy> copies;
  app.get("/:n", [&](Context& c) {
    if (c.param("n") == "1") c.set("first", 1);
    copies.push_back(c.copy());
    c.status(204);
  });
  Client client(app);
  client.get("/1");
  client.get("/2");
  ASSERT_EQ(copies.size(), 2u);
  EXPECT_NE(copies[0].get<int>("first"), nullptr);
  EXPECT_EQ(copies[1].get<int>("first"), nullptr);
}

}  // namespace
