#pragma once
// multipart/form-data bodies (RFC 7578), parsed in place: the parts' views point into the body
// (or into MultipartBody::unescaped for quoted parameters that had escapes and for file names
// that had control bytes removed).

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sloe::http {

/// A parameter of a header value like `form-data; name="a"; filename="b.txt"` (name compared
/// case-insensitively), unquoted; nullopt when absent. A quoted value with backslash escapes is
/// unescaped into a new string in `unescaped`.
std::optional<std::string_view> header_parameter(std::string_view header_value,
                                                 std::string_view name,
                                                 std::deque<std::string>& unescaped);

struct MultipartPart {
  std::string_view name;  // the form field
  // File uploads: the name's last path element, with bytes below 0x20 and 0x7F removed.
  std::optional<std::string_view> filename;
  std::string_view content_type;  // the part's own Content-Type; empty when absent
  std::string_view content;
};

struct MultipartBody {
  std::vector<MultipartPart> parts;
  std::string error;  // empty when the body is well formed
  std::deque<std::string> unescaped;
};

inline constexpr std::size_t kMaxMultipartParts = 1000;

/// Splits a multipart body at `boundary`. Parts that are not `form-data` with a name are
/// skipped, as Go's multipart.Reader.ReadForm skips them; a part with an empty filename is a
/// plain field, and so is one whose filename has nothing but control bytes. On malformed input
/// `error` says what is wrong and `parts` is empty.
MultipartBody parse_multipart(std::string_view body, std::string_view boundary);

}  // namespace sloe::http
