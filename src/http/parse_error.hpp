#pragma once
// Why a request was rejected: one enum, each value with the status it answers and a reason.

#include <cstdint>
#include <string_view>

namespace sloe::http {

enum class ParseError : std::uint8_t {
  none,
  malformed,                      // 400: not HTTP/1.x as RFC 9112 spells it
  missing_host,                   // 400: HTTP/1.1 without exactly one Host header
  invalid_content_length,         // 400: empty, signed, non-numeric or repeated Content-Length
  ambiguous_framing,              // 400: Content-Length together with Transfer-Encoding
  transfer_encoding_on_http10,    // 400
  unsupported_transfer_encoding,  // 501: anything but a final "chunked"
  target_too_long,                // 414
  header_too_large,               // 431: header section over the limit, or too many headers
  body_too_large,                 // 413
  unsupported_version,            // 505
  invalid_target,                 // 400: a target form the method does not allow, or none
  invalid_host,                   // 400: a Host value that is not host[:port]
  obsolete_line_folding,          // 400: a field value continued on the next line
  invalid_chunk,                  // 400: a chunk-size line that breaks RFC 9112 §7.1
  missing_chunk_crlf,             // 400: chunk data not followed by exactly CRLF
  chunk_line_too_long,            // 400: a chunk-size line over kMaxChunkLineBytes
  invalid_trailer,                // 400: a malformed trailer field
  trailers_too_large,             // 431: trailer section over its own budget
};

int status_of(ParseError error);
std::string_view reason_of(ParseError error);

}  // namespace sloe::http
