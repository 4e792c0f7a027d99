#include "http/multipart.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace {

using sloe::http::header_parameter;
using sloe::http::parse_multipart;

std::string part(std::string_view disposition, std::string_view content,
                 std::string_view extra_headers = "") {
  return "--XyZ\r\nContent-Disposition: " + std::string(disposition) + "\r\n" +
         std::string(extra_headers) + "\r\n" + std::string(content) + "\r\n";
}

TEST(Multipart, FieldsAndFilesInOrder) {
  const std::string body = "preamble to ignore\r\n" + part(R"(form-data; name="title")", "Hello") +
                           part(R"(form-data; name="upload"; filename="notes.txt")",
                                "line 1\r\nline 2\r\n", "Content-Type: text/plain\r\n") +
                           part(R"(form-data; name="empty")", "") + "--XyZ--\r\nepilogue";
  auto parsed = parse_multipart(body, "XyZ");
  ASSERT_EQ(parsed.error, "");
  ASSERT_EQ(parsed.parts.size(), 3u);
  EXPECT_EQ(parsed.parts[0].name, "title");
  EXPECT_EQ(parsed.parts[0].content, "Hello");
  EXPECT_FALSE(parsed.parts[0].filename);
  EXPECT_EQ(parsed.parts[1].name, "upload");
  EXPECT_EQ(parsed.parts[1].filename, "notes.txt");
  EXPECT_EQ(parsed.parts[1].content_type, "text/plain");
  EXPECT_EQ(parsed.parts[1].content, "line 1\r\nline 2\r\n");
  EXPECT_EQ(parsed.parts[2].content, "");
}

TEST(Multipart, DelimiterLookalikesInsideContentAreContent) {
  const std::string body =
      part(R"(form-data; name="a")", "x--XyZ\r\n--XyZextra\r\n--XyZ-") + "--XyZ--";
  auto parsed = parse_multipart(body, "XyZ");
  ASSERT_EQ(parsed.error, "");
  ASSERT_EQ(parsed.parts.size(), 1u);
  EXPECT_EQ(parsed.parts[0].content, "x--XyZ\r\n--XyZextra\r\n--XyZ-");
}

TEST(Multipart, BareLineFeedsPaddingAndCaseAreAccepted) {
  const std::string body =
      "--b \t\ncontent-DISPOSITION: Form-Data; NAME=plain; filename=\"\"\n\nv\n--b--";
  auto parsed = parse_multipart(body, "b");
  ASSERT_EQ(parsed.error, "");
  ASSERT_EQ(parsed.parts.size(), 1u);
  EXPECT_EQ(parsed.parts[0].name, "plain");
  EXPECT_FALSE(parsed.parts[0].filename) << "an empty filename is a plain field, as in Go";
  EXPECT_EQ(parsed.parts[0].content, "v");
}

TEST(Multipart, FileNamesLoseTheirDirectoriesAndQuotedEscapesAreUndone) {
  const std::string body =
      part(R"(form-data; name="f"; filename="../../etc/passwd")", "x") +
      part(R"(form-data; name="g"; filename="dir/sub/")", "y") +
      part(R"(form-data; name="q\"uoted; name"; filename="say \"hi\".txt")", "z") + "--XyZ--";
  auto parsed = parse_multipart(body, "XyZ");
  ASSERT_EQ(parsed.error, "");
  ASSERT_EQ(parsed.parts.size(), 3u);
  EXPECT_EQ(parsed.parts[0].filename, "passwd");
  EXPECT_EQ(parsed.parts[1].filename, "sub");
  EXPECT_EQ(parsed.parts[2].name, "q\"uoted; name");
  EXPECT_EQ(parsed.parts[2].filename, "say \"hi\".txt");
}

// A NUL would cut the name short at the filesystem call ("evil.sh\0.txt" saved as "evil.sh"
// past a ".txt" check); control bytes are removed, so the checked name is the saved one.
TEST(Multipart, ControlBytesAreRemovedFromFileNames) {
  using namespace std::string_literals;
  struct Case {
    std::string filename;  // as sent inside the quotes
    std::string expected;
  };
  const Case cases[] = {
      {"evil.sh\0.txt"s, "evil.sh.txt"},
      {"a\rb.txt", "ab.txt"},
      {"tab\tbed.txt", "tabbed.txt"},
      {"del\x7f.txt", "del.txt"},
      {"\x1b[31mred.txt", "[31mred.txt"},
      {"dir\0/../x\0.png"s, "x.png"},             // removed before the directories
      {"caf\xc3\xa9.txt", "caf\xc3\xa9.txt"},     // UTF-8 is kept
      {"esc\\\0aped\\\x01.txt"s, "escaped.txt"},  // \-escaped control bytes too
  };
  for (const Case& test : cases) {
    SCOPED_TRACE(test.expected);
    const std::string body =
        part("form-data; name=\"f\"; filename=\"" + test.filename + "\"", "x") + "--XyZ--";
    auto parsed = parse_multipart(body, "XyZ");
    ASSERT_EQ(parsed.error, "");
    ASSERT_EQ(parsed.parts.size(), 1u);
    EXPECT_EQ(parsed.parts[0].filename, test.expected);
  }
}

TEST(Multipart, AFileNameOfOnlyControlBytesIsAPlainField) {
  using namespace std::string_literals;
  const std::string body = part("form-data; name=\"f\"; filename=\"\0\r\t\""s, "value") + "--XyZ--";
  auto parsed = parse_multipart(body, "XyZ");
  ASSERT_EQ(parsed.error, "");
  ASSERT_EQ(parsed.parts.size(), 1u);
  EXPECT_FALSE(parsed.parts[0].filename);
  EXPECT_EQ(parsed.parts[0].content, "value");
}

TEST(Multipart, PartsThatAreNotNamedFormDataAreSkipped) {
  const std::string body = part("attachment; name=\"a\"", "1") + part("form-data", "2") +
                           "--XyZ\r\n\r\nno headers\r\n" + part("form-data; name=b", "3") +
                           "--XyZ--";
  auto parsed = parse_multipart(body, "XyZ");
  ASSERT_EQ(parsed.error, "");
  ASSERT_EQ(parsed.parts.size(), 1u);
  EXPECT_EQ(parsed.parts[0].name, "b");
}

TEST(Multipart, MalformedBodiesSayWhy) {
  struct Case {
    std::string body;
    std::string boundary;
    std::string error;
  };
  const Case cases[] = {
      {"--b--", "", "no valid boundary"},
      {"--b--", std::string(71, 'b'), "no valid boundary"},
      {"no boundary at all", "b", "no \"--b\" boundary line"},
      {"--b\r\nContent-Disposition: form-data; name=a\r\n", "b", "headers do not end"},
      {"--b\r\nno colon here\r\n\r\nx\r\n--b--", "b", "without ':'"},
      {"--b\r\nContent-Disposition: form-data; name=a\r\n\r\ncut short", "b", "ends before"},
  };
  for (const Case& c : cases) {
    auto parsed = parse_multipart(c.body, c.boundary);
    EXPECT_NE(parsed.error.find(c.error), std::string::npos) << c.body << " → " << parsed.error;
    EXPECT_TRUE(parsed.parts.empty());
  }
}

TEST(Multipart, AThousandPartsAtMost) {
  std::string body;
  for (std::size_t i = 0; i <= sloe::http::kMaxMultipartParts; ++i)
    body += part("form-data; name=a", "v");
  auto parsed = parse_multipart(body + "--XyZ--", "XyZ");
  EXPECT_NE(parsed.error.find("more than 1000 parts"), std::string::npos) << parsed.error;
}

TEST(Multipart, HeaderParametersAreFoundByNameInAnyCase) {
  std::deque<std::string> unescaped;
  EXPECT_EQ(header_parameter("multipart/form-data; boundary=abc", "boundary", unescaped), "abc");
  EXPECT_EQ(header_parameter("multipart/form-data;BOUNDARY=\"a b;c\" ; x=1", "boundary", unescaped),
            "a b;c");
  EXPECT_EQ(header_parameter("text/plain; x=1", "boundary", unescaped), std::nullopt);
  EXPECT_EQ(header_parameter("text/plain; boundary=\"unterminated", "boundary", unescaped),
            std::nullopt);
  EXPECT_EQ(header_parameter("form-data; filename=\"a.txt\"; name=\"n\"", "name", unescaped), "n");
}

TEST(Multipart, RandomlyDamagedBodiesNeverReadOutOfBounds) {
  const std::string valid = part(R"(form-data; name="title")", "Hello") +
                            part(R"(form-data; name="up"; filename="a/b.txt")", "data\r\n") +
                            "--XyZ--\r\n";
  const std::string nasty = "-\r\n\"\\;=: XyZ";
  std::mt19937 random(99);
  for (int round = 0; round < 5000; ++round) {
    std::string body = valid;
    for (int edit = 0; edit < 3; ++edit) {
      std::size_t at = random() % body.size();
      if (random() % 2) {
        body[at] = nasty[random() % nasty.size()];
      } else {
        body.erase(at, random() % 6);
      }
      if (body.empty()) break;
    }
    auto parsed = parse_multipart(body, "XyZ");
    for (const auto& p : parsed.parts) {
      // Every view lies inside the body or in the parser's own unescaped strings.
      for (std::string_view view :
           {p.name, p.content, p.content_type, p.filename.value_or(std::string_view())}) {
        const bool in_body =
            view.data() >= body.data() && view.data() + view.size() <= body.data() + body.size();
        bool in_unescaped = false;
        for (const std::string& s : parsed.unescaped) {
          in_unescaped |=
              view.data() >= s.data() && view.data() + view.size() <= s.data() + s.size();
        }
        ASSERT_TRUE(view.empty() || in_body || in_unescaped) << "round " << round;
      }
    }
  }
}

}  // namespace
