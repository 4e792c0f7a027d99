// Percent-decoding and path escaping, case by case after Go's net/url (unescape, escape with
// encodePath, setPath's RawPath rule, validEncoded).

#include "http/url.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace sloe::http {
namespace {

struct DecodeCase {
  std::string_view in;
  bool plus_as_space;
  bool ok;
  std::string_view out;  // when ok
};

const std::vector<DecodeCase> kDecodeCases = {
    {"", false, true, ""},
    {"abc", false, true, "abc"},
    {"a%20b", false, true, "a b"},
    {"%41%42", false, true, "AB"},
    {"%e2%82%AC", false, true, "\xE2\x82\xAC"},
    {"a%2Fb", false, true, "a/b"},
    {"a+b", false, true, "a+b"},  // a path: '+' is itself
    {"a+b", true, true, "a b"},   // a query component (Go's QueryUnescape)
    {"%2B+", true, true, "+ "},
    {"%", false, false, ""},
    {"%4", true, false, ""},
    {"abc%", true, false, ""},
    {"%zz", false, false, ""},
    {"%4g", true, false, ""},
    {"ok%20then%", false, false, ""},
};

TEST(Url, PercentDecode) {
  for (const DecodeCase& c : kDecodeCases) {
    std::string out = "kept:";
    EXPECT_EQ(needs_decoding(c.in, c.plus_as_space),
              c.in.find_first_of(c.plus_as_space ? "%+" : "%") != std::string_view::npos)
        << "in: " << c.in;
    ASSERT_EQ(percent_decode(c.in, out, c.plus_as_space), c.ok) << "in: " << c.in;
    if (c.ok) {
      EXPECT_EQ(out, "kept:" + std::string(c.out)) << "in: " << c.in;
    }
  }
}

struct RawPathCase {
  std::string_view path;
  bool raw;  // Go keeps a URL.RawPath for it
};

const std::vector<RawPathCase> kRawPathCases = {
    {"/", false},
    {"/users/42", false},
    {"/a+b/$&,:;=@-_.~", false},  // bytes a path keeps as they are
    {"/a%20b", false},            // a space is escaped the way Go escapes it
    {"/caf%C3%A9", false},
    {"/caf%c3%a9", true},  // lower-case hex
    {"/a%2Fb", true},      // an escaped '/' is not what escaping the decoded path gives
    {"/%41", true},        // nor is an escaped letter
    {"/a b", true},        // a byte Go would escape
    {"/a?b", true},
    {"/%zz", true},  // malformed
    {"/%4", true},
};

TEST(Url, RawPath) {
  for (const RawPathCase& c : kRawPathCases) {
    EXPECT_EQ(has_raw_path(c.path), c.raw) << "path: " << c.path;
    // Go's rule itself: RawPath is kept when escaping the decoded path does not give it back.
    std::string decoded;
    if (!percent_decode(c.path, decoded, false)) continue;
    std::string escaped;
    escape_path(decoded, escaped);
    EXPECT_EQ(escaped != c.path, c.raw) << "path: " << c.path << ", escaped: " << escaped;
  }
}

TEST(Url, EscapePath) {
  std::string out;
  escape_path("/a b/\xC3\xBC?#%/x+y:z", out);
  EXPECT_EQ(out, "/a%20b/%C3%BC%3F%23%25/x+y:z");
}

TEST(Url, ValidEncodedPath) {
  EXPECT_TRUE(valid_encoded_path("/a%2Fb"));
  EXPECT_TRUE(valid_encoded_path("/!$&'()*+,;=:@[]"));
  EXPECT_FALSE(valid_encoded_path("/a b"));
  EXPECT_FALSE(valid_encoded_path("/a\"b"));
  EXPECT_FALSE(valid_encoded_path("/a?b"));
}

}  // namespace
}  // namespace sloe::http
