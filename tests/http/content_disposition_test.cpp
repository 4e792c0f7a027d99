#include "http/content_disposition.hpp"

#include <gtest/gtest.h>

namespace {

using sloe::http::attachment_disposition;

TEST(ContentDisposition, AttachmentNames) {
  struct Case {
    const char* name;
    std::string_view filename;
    std::string_view expected;
  };
  const Case cases[] = {
      {"plain ASCII", "report.pdf", R"(attachment; filename="report.pdf")"},
      {"spaces stay", "annual report.pdf", R"(attachment; filename="annual report.pdf")"},
      {"quote escaped", R"(say "hi".txt)", R"(attachment; filename="say \"hi\".txt")"},
      {"backslash escaped: cannot escape the closing quote", R"(a\)",
       R"(attachment; filename="a\\")"},
      {"line break becomes _", "a\r\nSet-Cookie: x.txt",
       R"(attachment; filename="a__Set-Cookie: x.txt")"},
      {"NUL and DEL become _", std::string_view("a\0b\x7f.txt", 8),
       R"(attachment; filename="a_b_.txt")"},
      {"non-ASCII: '_' per character and filename*", "résumé.pdf",
       R"(attachment; filename="r_sum_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf)"},
      {"four-byte character", "\xF0\x9F\x98\x80.txt",
       R"(attachment; filename="_.txt"; filename*=UTF-8''%F0%9F%98%80.txt)"},
      {"filename* escapes what is not an attr-char", "Ä \"x\";y%.txt",
       R"(attachment; filename="_ \"x\";y%.txt"; filename*=UTF-8''%C3%84%20%22x%22%3By%25.txt)"},
      {"attr-chars stay in filename*", "é!#$&+-.^_`|~",
       R"(attachment; filename="_!#$&+-.^_`|~"; filename*=UTF-8''%C3%A9!#$&+-.^_`|~)"},
      {"empty name", "", R"(attachment; filename="")"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(attachment_disposition(c.filename), c.expected) << c.name;
  }
}

}  // namespace
