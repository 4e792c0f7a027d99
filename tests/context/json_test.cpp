#include <gtest/gtest.h>
#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <vector>

#include "context/json_writer.hpp"

namespace {

using sloe::JsonFields;
using sloe::testing::Client;

std::string written(JsonFields fields) {
  std::string out;
  sloe::detail::append_json(out, fields);
  return out;
}

std::string dumped(const sloe::json& value) {
  return sloe::detail::dump_json(value);
}

// The same braced list, once written by sloe and once built and dumped by nlohmann.
#define EXPECT_WRITTEN_AS_NLOHMANN_DUMPS(...) \
  EXPECT_EQ(written(__VA_ARGS__), dumped(sloe::json(__VA_ARGS__)))

TEST(Json, FieldListsAreWrittenByteForByteAsNlohmannDumpsThem) {
  const std::string owned = "owned";
  const std::string_view view = "view";
  const char* pointer = "pointer";
  const sloe::json tree = {{"z", {1, 2}}, {"a", "b"}};
  EXPECT_WRITTEN_AS_NLOHMANN_DUMPS({{"message", "pong"}});
  EXPECT_WRITTEN_AS_NLOHMANN_DUMPS({{"b", 1}, {"a", 2}, {"c", 3}});
  EXPECT_WRITTEN_AS_NLOHMANN_DUMPS({{"owned", owned}, {"view", view}, {"pointer", pointer}});
  EXPECT_WRITTEN_AS_NLOHMANN_DUMPS({{"t", true}, {"f", false}, {"n", nullptr}});
  EXPECT_WRITTEN_AS_NLOHMANN_DUMPS({{"min", std::numeric_limits<std::int64_t>::min()},
                                    {"max", std::numeric_limits<std::uint64_t>::max()},
                                    {"char", 'x'},
                                    {"short", static_cast<short>(-7)},
                                    {"zero", 0u}});
  EXPECT_WRITTEN_AS_NLOHMANN_DUMPS({{"one", 1.0},
                                    {"tenth", 0.1},
                                    {"big", 1e100},
                                    {"round", 100000.0},
                                    {"negative zero", -0.0},
                                    {"float", 0.1f},
                                    {"nan", std::nan("")},
                                    {"inf", std::numeric_limits<double>::infinity()}});
  EXPECT_WRITTEN_AS_NLOHMANN_DUMPS({{"user", {{"name", "ada"}, {"id", 7}, {"tags", {{"x", 1}}}}}});
  EXPECT_WRITTEN_AS_NLOHMANN_DUMPS({{"tree", tree}, {"vector", std::vector<int>{3, 1}}});
  EXPECT_WRITTEN_AS_NLOHMANN_DUMPS(
      {{"map", std::map<std::string, int>{{"k", 1}}}, {"json temporary", sloe::json::array()}});
  EXPECT_WRITTEN_AS_NLOHMANN_DUMPS({{"\"quoted\\key\"\n", "\x01\x1f\b\f\n\r\t\x7f/</>&"}});
  EXPECT_WRITTEN_AS_NLOHMANN_DUMPS({{"utf-8", "ĉu vi? 日本語 🍑"}, {"é", 1}, {"e", 2}});
  EXPECT_WRITTEN_AS_NLOHMANN_DUMPS({{"bad utf-8",
                                     "a\xff"
                                     "b\xc3(\xed\xa0\x80\xf4\x90\x80\x80z"}});
}

TEST(Json, TheFirstOfDuplicateKeysIsKeptAsInAJsonObject) {
  EXPECT_EQ(written({{"a", 1}, {"b", 2}, {"a", 3}, {"b", 4}}), R"({"a":1,"b":2})");
  EXPECT_WRITTEN_AS_NLOHMANN_DUMPS({{"a", 1}, {"b", 2}, {"a", 3}, {"b", 4}});
}

TEST(Json, LongFieldListsAreSortedLikeShortOnes) {
  EXPECT_WRITTEN_AS_NLOHMANN_DUMPS(
      {{"q", 1},  {"w", 2},  {"e", 3},  {"r", 4},  {"t", 5},  {"y", 6},  {"u", 7},  {"i", 8},
       {"o", 9},  {"p", 10}, {"a", 11}, {"s", 12}, {"d", 13}, {"f", 14}, {"g", 15}, {"h", 16},
       {"j", 17}, {"q", 18}, {"k", 19}, {"l", 20}, {"z", 21}, {"x", 22}, {"c", 23}});
}

TEST(Json, RandomStringsAndDoublesMatchNlohmann) {
  std::mt19937_64 random(20261125);
  // Bytes drawn mostly from the interesting ones: controls, quotes, UTF-8 lead and trail bytes.
  const std::string alphabet = std::string("\0\x01\x1f\"\\/aZ~\x7f", 10) +
                               "\x80\xbf\xc2\xdf\xe0\xed\xef\xf0\xf4\xf5\xff\xc3\xa9\xa0\x9f";
  for (int round = 0; round < 3000; ++round) {
    std::string text(random() % 12, '\0');
    for (char& byte : text) byte = alphabet[random() % alphabet.size()];
    const double number = std::bit_cast<double>(static_cast<std::uint64_t>(random()));
    ASSERT_EQ(written({{text, text}, {"d", number}}),
              dumped(sloe::json({{text, text}, {"d", number}})))
        << "round " << round;
  }
}

TEST(Json, ABracedListOfPairsWritesAnObjectAndAnEmptyListAnEmptyObject) {
  sloe::Engine app;
  app.get("/fields", [](sloe::Context& c) {
    c.json(201, {{"id", c.param("none")}, {"ok", true}, {"nested", {{"n", 1}}}});
  });
  app.get("/empty", [](sloe::Context& c) { c.json(200, {}); });
  app.get("/array", [](sloe::Context& c) { c.json(200, {{"tags", {"a", "b"}}}); });
  app.get("/value", [](sloe::Context& c) { c.json(200, sloe::json::array({1, 2})); });
  Client client(app);
  const auto fields = client.get("/fields");
  EXPECT_EQ(fields.status, 201);
  EXPECT_EQ(fields.header("Content-Type"), "application/json; charset=utf-8");
  EXPECT_EQ(fields.body, R"({"id":"","nested":{"n":1},"ok":true})");
  EXPECT_EQ(client.get("/empty").body, "{}");
  EXPECT_EQ(client.get("/array").body, R"({"tags":["a","b"]})");
  EXPECT_EQ(client.get("/value").body, "[1,2]");
}

TEST(Json, AbortWithStatusJsonAndResponderTakeFieldListsToo) {
  sloe::Engine app;
  app.get("/later", [](sloe::Context& c) { c.defer().json(202, {{"queued", 1}}); });
  auto admin = app.group("/admin");
  admin.use([](sloe::Context& c) { c.abort_with_status_json(403, {{"error", "forbidden"}}); });
  admin.get("/", [](sloe::Context& c) { c.string(200, "secret"); });
  Client client(app);

  const auto denied = client.get("/admin/");
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(denied.body, R"({"error":"forbidden"})");
  const auto queued = client.get("/later");
  EXPECT_EQ(queued.status, 202);
  EXPECT_EQ(queued.body, R"({"queued":1})");
}

}  // namespace
