#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
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

// The JSON form of the rule: always valid, ASCII-only JSON, whatever bytes a client sent, and
// each byte reads back as the code point of its value.
TEST(LogEscape, TheJsonFormIsValidAsciiJsonForAnyBytes) {
  std::string every_byte;
  for (int byte = 0; byte < 256; ++byte) every_byte.push_back(static_cast<char>(byte));
  std::string quoted = "\"";
  sloe::append_json_log_escaped(quoted, every_byte);
  quoted.push_back('"');
  for (char ch : quoted) EXPECT_TRUE(ch >= 0x20 && ch < 0x7F) << int(ch);
  std::string decoded = nlohmann::json::parse(quoted).get<std::string>();
  std::u32string code_points;
  for (std::size_t i = 0; i < decoded.size();) {  // decode the UTF-8 nlohmann gives back
    auto lead = static_cast<unsigned char>(decoded[i]);
    if (lead < 0x80) {
      code_points.push_back(lead);
      i += 1;
    } else {
      code_points.push_back(((lead & 0x1Fu) << 6) |
                            (static_cast<unsigned char>(decoded[i + 1]) & 0x3Fu));
      i += 2;
    }
  }
  ASSERT_EQ(code_points.size(), 256u);
  for (std::size_t byte = 0; byte < 256; ++byte) EXPECT_EQ(code_points[byte], byte);
  std::string plain;
  sloe::append_json_log_escaped(plain, R"(a "b" \ c)");
  EXPECT_EQ(plain, R"(a \"b\" \\ c)");
}

}  // namespace
