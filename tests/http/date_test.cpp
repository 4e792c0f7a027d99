#include "http/date.hpp"

#include <gtest/gtest.h>

#include <optional>

namespace {

using sloe::http::format_imf_fixdate;
using sloe::http::parse_http_date;

constexpr std::int64_t kRfcExample = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT

TEST(HttpDate, FormatsImfFixdate) {
  struct Case {
    std::int64_t seconds;
    std::string_view text;
  };
  const Case cases[] = {
      {0, "Thu, 01 Jan 1970 00:00:00 GMT"},
      {kRfcExample, "Sun, 06 Nov 1994 08:49:37 GMT"},
      {951782400, "Tue, 29 Feb 2000 00:00:00 GMT"},
      {1700000000, "Tue, 14 Nov 2023 22:13:20 GMT"},
      {253402300799, "Fri, 31 Dec 9999 23:59:59 GMT"},
  };
  for (const Case& c : cases) {
    auto text = format_imf_fixdate(c.seconds);
    ASSERT_TRUE(text) << c.seconds;
    EXPECT_EQ(text->view(), c.text);
    EXPECT_EQ(parse_http_date(c.text), c.seconds) << "round trip of " << c.text;
  }
}

TEST(HttpDate, FormatRefusesWhatFourDigitsAfter1970CannotHold) {
  EXPECT_FALSE(format_imf_fixdate(-1));
  EXPECT_FALSE(format_imf_fixdate(253402300800));
}

TEST(HttpDate, ParsesTheThreeFormsRecipientsMustAccept) {
  struct Case {
    std::string_view text;
    std::optional<std::int64_t> seconds;
  };
  const Case cases[] = {
      {"Sun, 06 Nov 1994 08:49:37 GMT", kRfcExample},
      {"Sunday, 06-Nov-94 08:49:37 GMT", kRfcExample},
      {"Sun Nov  6 08:49:37 1994", kRfcExample},
      {"Sun Nov 06 08:49:37 1994", kRfcExample},
      // RFC 850 years: 69..99 are 19xx, 00..68 are 20xx (Go's pivot).
      {"Thursday, 01-Jan-70 00:00:00 GMT", 0},
      {"Saturday, 01-Jan-00 00:00:00 GMT", 946684800},
      // The day name is spelled right but not checked against the date, as in Go.
      {"Mon, 06 Nov 1994 08:49:37 GMT", kRfcExample},
      // A leap second counts as the next minute's first.
      {"Sat, 31 Dec 2016 23:59:60 GMT", 1483228800},
  };
  for (const Case& c : cases) EXPECT_EQ(parse_http_date(c.text), c.seconds) << c.text;
}

TEST(HttpDate, RefusesAnythingElse) {
  for (std::string_view text : {
           "",
           "Sun, 06 Nov 1994 08:49:37 UTC",     // only GMT
           "Sun, 06 Nov 1994 08:49:37 GMT ",    // trailing space
           " Sun, 06 Nov 1994 08:49:37 GMT",    // leading space
           "Sun, 6 Nov 1994 08:49:37 GMT",      // one-digit day
           "sun, 06 nov 1994 08:49:37 GMT",     // names are case-sensitive (%s in RFC 9110)
           "Sun, 31 Nov 1994 08:49:37 GMT",     // no 31 November
           "Thu, 29 Feb 2001 00:00:00 GMT",     // not a leap year
           "Sun, 06 Nov 1994 24:00:00 GMT",     // hour 24
           "Sun, 06 Nov 1994 08:60:00 GMT",     // minute 60
           "Sun, 06 Nov 1994 08:49:61 GMT",     // second 61
           "Sun, 06 Nov 94 08:49:37 GMT",       // two-digit year in IMF-fixdate
           "Sun, 06-Nov-94 08:49:37 GMT",       // RFC 850 needs the long day name
           "Sunday, 06 Nov 1994 08:49:37 GMT",  // IMF-fixdate needs the short one
           "Sun Nov  06 08:49:37 1994",         // asctime: space-padded day is one digit
           "Sun Nov 6 08:49:37 1994",           // asctime: one-digit day needs its pad
           "1994-11-06T08:49:37Z",
           "784111777",
       }) {
    EXPECT_FALSE(parse_http_date(text)) << text;
  }
}

}  // namespace
