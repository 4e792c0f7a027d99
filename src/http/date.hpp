#pragma once
// HTTP-dates (RFC 9110 §5.6.7) for Last-Modified and the conditional request fields that
// compare against it. Locale-free: strftime's day and month names follow LC_TIME.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace sloe::http {

/// "Sun, 06 Nov 1994 08:49:37 GMT": the one form a server may send, always 29 bytes, kept in
/// place so that formatting one allocates nothing.
struct ImfFixdate {
  std::array<char, 29> text;

  std::string_view view() const { return {text.data(), text.size()}; }
};

/// Seconds since the Unix epoch as an IMF-fixdate; nullopt for a time outside years 1970..9999,
/// which the format's four-digit year and the epoch-based callers cannot express.
std::optional<ImfFixdate> format_imf_fixdate(std::int64_t unix_seconds);

/// Seconds since the Unix epoch of an HTTP-date in any of the three forms a recipient must
/// accept: IMF-fixdate, the obsolete RFC 850 form ("Sunday, 06-Nov-94 08:49:37 GMT") and
/// asctime's ("Sun Nov  6 08:49:37 1994"); nullopt when `text` is none of them. As Go's
/// net/http, an RFC 850 two-digit year from 69 on is 19xx, below it 20xx, and the day name is
/// checked for spelling, not against the date.
std::optional<std::int64_t> parse_http_date(std::string_view text);

}  // namespace sloe::http
