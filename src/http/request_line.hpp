#pragma once
// The request line (RFC 9112 §3), parsed by sloe rather than llhttp so that any token is a
// method (Gin routes "BREW" or "get" like any other) and the line is held to the grammar:
// one SP between three parts, a target without CTLs or spaces, "HTTP/" DIGIT "." DIGIT, CRLF.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/limits.hpp"
#include "http/parse_error.hpp"

namespace sloe::http {

struct RequestLine {
  std::size_t method_offset = 0;  // after any empty lines before the request
  std::size_t method_length = 0;
  std::size_t target_offset = 0;
  std::size_t target_length = 0;
  std::uint8_t version_major = 1;
  std::uint8_t version_minor = 1;  // as served: a minor version above 1 is served as 1.1
  /// Whether llhttp would read this line exactly as sloe did (a method in its table, an ASCII
  /// origin-form target, HTTP/1.0 or 1.1 as sent), so that it may parse the real line.
  bool plain = false;
  std::size_t end = 0;  // one past the CRLF
};

enum class LineResult : std::uint8_t { incomplete, complete, error };

/// Parses the request line at the start of `data`. On error, `error` says why (400, 414, 431,
/// 505); incomplete means more bytes are needed and none seen so far is wrong.
LineResult parse_request_line(std::string_view data, const Limits& limits, RequestLine& line,
                              ParseError& error);

}  // namespace sloe::http
