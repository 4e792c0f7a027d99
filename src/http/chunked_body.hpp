#pragma once
// A chunked request body (RFC 9112 §7.1), decoded in place: each chunk's data moves down to
// follow the previous one, so the decoded body is one contiguous run of the request's own
// bytes and no second copy is held. What the client sends counts as received, framing
// included: the body limit bounds the bytes held, whatever the chunk sizes.
//
// Stricter than llhttp where framing could be read two ways (anything but CRLF after chunk
// data, bare CR or LF), more lenient where RFC 9112 allows it (several chunk extensions,
// whitespace around ';' and '='). Trailer fields are kept apart from the header fields.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "http/limits.hpp"
#include "http/parse_error.hpp"

namespace sloe::http {

class ChunkedBody {
 public:
  enum class Result : std::uint8_t { incomplete, complete, error };
  /// Where a field's name and value lie in the request's bytes (value without OWS).
  struct FieldSpan {
    std::uint32_t name_offset = 0;
    std::uint32_t name_length = 0;
    std::uint32_t value_offset = 0;
    std::uint32_t value_length = 0;
  };

  /// Starts a body whose first byte is at `offset` in the request.
  void start(std::size_t offset);
  /// `request` holds every byte received for the request, from its first; bytes decoded by an
  /// earlier call are not decoded again. The bytes may have moved since (offsets are kept).
  Result decode(std::span<char> request, const Limits& limits);

  std::size_t body_offset() const { return body_offset_; }
  std::size_t body_length() const { return write_ - body_offset_; }
  /// One past the last byte of the message, once decode() returned complete.
  std::size_t end() const { return read_; }
  const std::vector<FieldSpan>& trailers() const { return trailers_; }
  ParseError error() const { return error_; }

 private:
  enum class Stage : std::uint8_t { size_line, data, data_crlf, trailers, done };
  // What a stage did: moved on (decode the next part), or needs bytes that have not come.
  enum class Step : std::uint8_t { next, wait, error };

  Step size_line(std::span<char> request, const Limits& limits);
  Step data(std::span<char> request);
  Step data_crlf(std::span<char> request);
  Step trailer_line(std::span<char> request, const Limits& limits);
  Step fail(ParseError why);

  Stage stage_ = Stage::size_line;
  std::size_t body_offset_ = 0;
  std::size_t read_ = 0;   // next byte to decode
  std::size_t write_ = 0;  // where the next data byte goes
  std::size_t chunk_left_ = 0;
  std::size_t trailer_offset_ = 0;
  std::vector<FieldSpan> trailers_;
  ParseError error_ = ParseError::none;
};

}  // namespace sloe::http
