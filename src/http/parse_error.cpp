#include "http/parse_error.hpp"

namespace sloe::http {

int status_of(ParseError error) {
  switch (error) {
    case ParseError::none:
      return 200;
    case ParseError::unsupported_transfer_encoding:
      return 501;
    case ParseError::target_too_long:
      return 414;
    case ParseError::header_too_large:
    case ParseError::trailers_too_large:
      return 431;
    case ParseError::body_too_large:
      return 413;
    case ParseError::unsupported_version:
      return 505;
    default:
      return 400;
  }
}

std::string_view reason_of(ParseError error) {
  switch (error) {
    case ParseError::none:
      return "ok";
    case ParseError::malformed:
      return "malformed request";
    case ParseError::missing_host:
      return "HTTP/1.1 requests need exactly one Host header";
    case ParseError::invalid_content_length:
      return "invalid Content-Length";
    case ParseError::ambiguous_framing:
      return "Content-Length and Transfer-Encoding must not both be present";
    case ParseError::transfer_encoding_on_http10:
      return "Transfer-Encoding is not allowed in HTTP/1.0 requests";
    case ParseError::unsupported_transfer_encoding:
      return "only the chunked transfer coding is supported";
    case ParseError::target_too_long:
      return "request target too long";
    case ParseError::header_too_large:
      return "request header section too large";
    case ParseError::body_too_large:
      return "request body too large";
    case ParseError::unsupported_version:
      return "only HTTP/1.0 and HTTP/1.1 are supported";
    case ParseError::invalid_target:
      return "invalid request target";
    case ParseError::invalid_host:
      return "invalid Host header";
    case ParseError::obsolete_line_folding:
      return "obsolete line folding is not allowed";
    case ParseError::invalid_chunk:
      return "invalid chunk size line";
    case ParseError::missing_chunk_crlf:
      return "chunk data must end with CRLF";
    case ParseError::chunk_line_too_long:
      return "chunk size line too long";
    case ParseError::invalid_trailer:
      return "invalid trailer field";
    case ParseError::trailers_too_large:
      return "request trailer section too large";
  }
  return "bad request";
}

}  // namespace sloe::http
