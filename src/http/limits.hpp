#pragma once
// What one request may make the server hold; every byte received for a request counts
// against one of these.

#include <cstddef>

namespace sloe::http {

struct Limits {
  std::size_t max_header_bytes = 16 * 1024;      // request line + header fields → 431
  std::size_t max_target_bytes = 8 * 1024;       // request target → 414
  std::size_t max_headers = 100;                 // header (and trailer) field count → 431
  std::size_t max_body_bytes = 8 * 1024 * 1024;  // body as received, chunk framing too → 413
  std::size_t max_trailer_bytes = 16 * 1024;     // trailer section of a chunked body → 431
};

/// A chunk-size line (size, extensions, CRLF) longer than this is refused (400), as Go does.
inline constexpr std::size_t kMaxChunkLineBytes = 4096;

}  // namespace sloe::http
