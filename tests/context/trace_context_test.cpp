// W3C traceparent parsing, and the trace ids a Context and its copies carry.

#include <gtest/gtest.h>

#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

#include <optional>
#include <string>

namespace {

using sloe::Context;
using sloe::testing::Client;

constexpr std::string_view kTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr std::string_view kParent = "00f067aa0ba902b7";

struct ParseCase {
  std::string header;
  bool valid;
  std::uint8_t flags = 0;  // when valid
};

TEST(TraceParent, ParsesStrictlyAsTheSpecAsks) {
  const std::string ids = fmt::format("{}-{}", kTrace, kParent);
  const ParseCase cases[] = {
      {"00-" + ids + "-01", true, 0x01},
      {"00-" + ids + "-00", true, 0x00},
      {"00-" + ids + "-09", true, 0x09},  // unknown version 00 flags are kept
      // a later version: read by version 00's layout, only "sampled" kept
      {"01-" + ids + "-03", true, 0x01},
      {"cc-" + ids + "-01-what-the-future-holds", true, 0x01},
      {"cc-" + ids + "-02", true, 0x00},
      {"cc-" + ids + "-01what", false},  // more must start with '-'
      {"ff-" + ids + "-01", false},      // version ff is invalid
      {"00-" + ids + "-01-", false},     // version 00 is exactly 55 characters
      {"00-" + ids + "-1", false},
      {"00-" + ids, false},
      {"", false},
      {"0-" + ids + "-01", false},
      {"00-" + std::string(32, '0') + "-" + std::string(kParent) + "-01", false},  // zero trace
      {"00-" + std::string(kTrace) + "-" + std::string(16, '0') + "-01", false},   // zero span
      {"00-4BF92F3577B34DA6A3CE929D0E0E4736-" + std::string(kParent) + "-01", false},
      {"00-" + std::string(kTrace) + "-00F067AA0BA902B7-01", false},
      {"00-" + ids + "-0A", false},
      {"0A-" + ids + "-01", false},
      {"00-" + std::string(kTrace).substr(1) + "0-" + std::string(kParent) + "-1", false},
      {"00_" + ids + "-01", false},
      {"00-" + std::string(kTrace) + "_" + std::string(kParent) + "-01", false},
      {"00-4bf92f3577b34da6a3ce929d0e0e473g-" + std::string(kParent) + "-01", false},
      {"00-" + std::string(kTrace).substr(0, 31) + "-" + std::string(kParent) + "0-01", false},
      {"00-" + std::string(kTrace) + "-" + std::string(kParent) + " -1", false},
  };
  for (const ParseCase& test : cases) {
    SCOPED_TRACE(test.header);
    const std::optional<sloe::TraceParent> parsed = sloe::parse_traceparent(test.header);
    ASSERT_EQ(parsed.has_value(), test.valid);
    if (!parsed) continue;
    EXPECT_EQ(parsed->trace_id, kTrace);
    EXPECT_EQ(parsed->parent_id, kParent);
    EXPECT_EQ(parsed->flags, test.flags);
    EXPECT_EQ(parsed->sampled(), (test.flags & 1) != 0);
  }
}

TEST(TraceParent, FormatsWhatItParses) {
  const std::string header = sloe::format_traceparent(kTrace, kParent, true);
  EXPECT_EQ(header, fmt::format("00-{}-{}-01", kTrace, kParent));
  EXPECT_TRUE(sloe::parse_traceparent(header));
  EXPECT_EQ(sloe::format_traceparent(kTrace, kParent, false).substr(53), "00");
}

TEST(TraceParent, TheEngineTakesTheTraceIdOfAFutureVersionToo) {
  sloe::Engine app;
  app.get("/", [](Context& c) { c.string(200, "{}", c.trace_id()); });
  Client client(app);
  EXPECT_EQ(client.get("/", {{"traceparent", fmt::format("01-{}-{}-01-x", kTrace, kParent)}}).body,
            kTrace);
  EXPECT_EQ(client.get("/", {{"traceparent", fmt::format("ff-{}-{}-01", kTrace, kParent)}}).body,
            "");
}

TEST(ContextTrace, SetTraceReachesTheCopyAndItsLogLines) {
  sloe::Engine app;
  std::optional<sloe::ContextCopy> copy;
  std::string refused;
  app.get("/", [&](Context& c) {
    try {
      c.set_trace("ABC", "def");
    } catch (const std::invalid_argument& e) {
      refused = e.what();
    }
    c.set_trace(kTrace, kParent);
    c.string(200, "{} {}", c.trace_id(), c.span_id());
    copy = c.copy();
  });
  app.get("/plain", [](Context& c) { c.string(200, "[{}]", c.span_id()); });
  Client client(app);
  EXPECT_EQ(client.get("/").body, fmt::format("{} {}", kTrace, kParent));
  EXPECT_NE(refused.find("lowercase hex"), std::string::npos);
  ASSERT_TRUE(copy);
  EXPECT_EQ(copy->trace_id(), kTrace);
  EXPECT_EQ(copy->span_id(), kParent);
  // The next request on the same Context starts without them.
  EXPECT_EQ(client.get("/plain").body, "[]");
}

}  // namespace
