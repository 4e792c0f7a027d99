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
