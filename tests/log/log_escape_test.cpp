#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sloe/log_escape.hpp>

#include <string>
#include <string_view>

namespace {

using namespace std::string_literals;

TEST(LogEscape, EscapesControlQuoteBackslashAndEightBitBytesLikeNginx) {
  struct Case {
    std::string text;
    std::string_view escaped;
  };
  const Case cases[] = {
      {"plain /path?a=1&b=%0a ~!", "plain /path?a=1&b=%0a ~!"},
      {"a\nb\rc\0d"s, R"(a\x0Ab\x0Dc\x00d)"},
      {"\t\x1b[0m\x7f", R"(\x09\x1B[0m\x7F)"},
      {R"(say "hi")", R"(say \x22hi\x22)"},
      {R"(already \x0A)", R"(already \x5Cx0A)"},  // a literal escape cannot pass as one
      {"caf\xc3\xa9 \xff", R"(caf\xC3\xA9 \xFF)"},
      {"", ""},
  };
  for (const Case& test : cases) {
    EXPECT_EQ(sloe::log_escape(test.text), test.escaped);
    EXPECT_EQ(sloe::needs_log_escape(test.text), test.text != test.escaped);
    std::string appended = "[";
    sloe::append_log_escaped(appended, test.text);
    EXPECT_EQ(appended, "[" + std::string(test.escaped));
  }
}

TEST(LogEscape, TheFormatterWrapperEscapesAndKeepsStringFormatSpecs) {
  EXPECT_EQ(fmt::format("{}", sloe::log_escaped("a\nb")), R"(a\x0Ab)");
  EXPECT_EQ(fmt::format("[{:>8}]", sloe::log_escaped("\n")), R"([    \x0A])");
  EXPECT_EQ(fmt::format("[{:<4}]", sloe::log_escaped("ok")), "[ok  ]");
}

}  // namespace
