#pragma once
// Turns the bytes of one request into a `Request` of views, enforcing the limits and RFC 9112's
// framing rules. sloe parses the request line and chunked bodies itself (any token method;
// strict chunk framing decoded in place; trailers apart) and hands the header fields and
// Content-Length bodies to llhttp, compiled in strict mode. The caller owns the bytes; offsets
// are kept relative to the request's first byte, so the caller may move the bytes between calls
// (compaction).

#include <llhttp.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "http/chunked_body.hpp"
#include "http/limits.hpp"
#include "http/parse_error.hpp"
#include "http/request.hpp"
#include "http/request_line.hpp"

namespace sloe::http {

class RequestParser {
 public:
  enum class Result : std::uint8_t { incomplete, complete, error };
  enum class Phase : std::uint8_t { idle, headers, body };

  explicit RequestParser(const Limits& limits);
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  /// `data` holds every byte received for the current request so far, from its first byte.
  /// Bytes parsed by an earlier call are not parsed again. A chunked body is decoded in place,
  /// which is why the bytes must be writable.
  Result parse(std::span<char> data);

  /// Valid after parse() returned complete, until next().
  const Request& request() const { return request_; }
  /// Bytes of `data` the completed request occupied; the next request starts there.
  std::size_t consumed() const { return consumed_; }
  /// Forgets the completed request; the next parse() starts a new one.
  void next();

  ParseError error() const { return error_; }
  Phase phase() const { return phase_; }
  /// The headers asked for `100-continue` and the body has not started; cleared by the call.
  bool take_expect_continue();

 private:
  struct Span {
    std::uint32_t offset = 0;
    std::uint32_t length = 0;
  };
  struct HeaderSpan {
    Span name;
    Span value;
  };
  // Where the header section is: in a field name, in its value, or between fields.
  enum class Last : std::uint8_t { none, field, value, done };
  enum class Stage : std::uint8_t { request_line, head, chunked_body };

  static int on_header_field(llhttp_t* p, const char* at, std::size_t length);
  static int on_header_value(llhttp_t* p, const char* at, std::size_t length);
  static int on_header_value_complete(llhttp_t* p);
  static int on_headers_complete(llhttp_t* p);
  static int on_body(llhttp_t* p, const char* at, std::size_t length);
  static int on_message_complete(llhttp_t* p);
  static const llhttp_settings_t& settings();

  void start_head();
  Result parse_head(std::string_view data);
  Result parse_chunked_body(std::span<char> data);
  Result complete(std::size_t end);
  Result failed(ParseError error);
  int fail(ParseError error);
  void extend(Span& span, const char* at, std::size_t length);
  std::string_view view(Span span) const { return {base_ + span.offset, span.length}; }
  void materialize();
  ParseError from_llhttp(llhttp_errno_t code) const;

  const Limits& limits_;
  llhttp_t parser_{};
  const char* base_ = nullptr;
  Stage stage_ = Stage::request_line;
  std::size_t fed_ = 0;
  std::size_t consumed_ = 0;
  ParseError error_ = ParseError::none;
  Phase phase_ = Phase::idle;
  Last last_ = Last::none;
  bool expect_continue_ = false;
  bool upgrade_ = false;  // Upgrade or CONNECT: sloe answers it and closes
  bool chunked_ = false;
  bool has_content_length_ = false;
  std::uint8_t host_count_ = 0;
  RequestLine line_;
  Span body_;
  std::vector<HeaderSpan> header_spans_;
  std::vector<Header> headers_;
  std::vector<Header> trailers_;
  ChunkedBody chunked_body_;
  Request request_;
};

}  // namespace sloe::http
