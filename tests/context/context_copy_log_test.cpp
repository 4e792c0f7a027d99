#include <gtest/gtest.h>
#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

#include <algorithm>
#include <string>
#include <string_view>

#include "../support/captured_log.hpp"

namespace {

using sloe::Context;
using sloe::test::CapturedLog;
using sloe::testing::Client;

// A copy outlives its request; what it logs later (from a background job) often repeats the
// client's path, query or headers, and must not forge lines either.
sloe::ContextCopy copy_of(std::string_view target, sloe::testing::Headers headers = {}) {
  sloe::Engine app;
  sloe::ContextCopy copy;
  app.get("/*any", [&](Context& c) {
    copy = c.copy();
    c.status(204);
  });
  Client client(app);
  EXPECT_EQ(client.get(target, std::move(headers)).status, 204);
  return copy;
}

bool printable_lines(const std::string& text) {
  return std::all_of(text.begin(), text.end(),
                     [](char ch) { return ch == '\n' || (ch >= 0x20 && ch < 0x7F); });
}

TEST(ContextCopyLog, StringArgumentsAreEscapedOnTheLine) {
  const sloe::ContextCopy copy = copy_of("/jobs/a%0d%0a[request_id=forged]%00?q=%22x%22");
  CapturedLog log;
  const std::string path(copy.path());
  const char* c_string = "c\x1b[2J";
  char array[] = "arr\x7f";
  copy.info("path {} view {} query {} c {} array {}", path, std::string_view(copy.path()),
            copy.query("q"), c_string, array);
  std::string text = log.text();
  EXPECT_NE(text.find(R"(path /jobs/a\x0D\x0A[request_id=forged]\x00 )"
                      R"(view /jobs/a\x0D\x0A[request_id=forged]\x00 )"
                      R"(query \x22x\x22 c c\x1B[2J array arr\x7F)"),
            std::string::npos)
      << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
  EXPECT_TRUE(printable_lines(text)) << text;
}

TEST(ContextCopyLog, TheRequestIdLeadsTheLineAndOtherArgumentsKeepTheirFormatting) {
  const sloe::ContextCopy copy = copy_of("/", {{"X-Request-ID", "job-42"}});
  CapturedLog log;
  copy.warn("{:>5}|{:.2f}|{}|{:<4}|{}", 42, 1.5, 'c', std::string("ab"),
            sloe::log_escaped("x\ny"));  // wrapped already: escaped once, not twice
  std::string text = log.text();
  EXPECT_NE(text.find(R"([request_id=job-42]    42|1.50|c|ab  |x\x0Ay)"), std::string::npos)
      << text;
}

TEST(ContextCopyLog, AnInsaneRequestIdNeverReachesTheLine) {
  // sloe replaces such an id with one it generates; the helper escapes what it puts there
  // anyway, so the line's prefix is always printable.
  const sloe::ContextCopy copy = copy_of("/", {{"X-Request-ID", "id\t\"quoted\"\xc3\xa9"}});
  CapturedLog log;
  copy.error("failed");
  std::string text = log.text();
  EXPECT_EQ(text.find("quoted"), std::string::npos) << text;
  EXPECT_NE(text.find("[request_id=" + std::string(copy.request_id()) + "] failed"),
            std::string::npos)
      << text;
  EXPECT_TRUE(printable_lines(text)) << text;
}

}  // namespace
