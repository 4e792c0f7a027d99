#include "http/chunked_body.hpp"

#include <cstring>
#include <string_view>

#include "http/field_syntax.hpp"

namespace sloe::http {

namespace {

bool is_bws(char c) {
  return c == ' ' || c == '\t';
}

// chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ), ext-val = token /
// quoted-string (RFC 9112 §7.1.1). Extensions are checked, never interpreted.
bool valid_extensions(std::string_view ext) {
  std::size_t i = 0;
  auto skip_bws = [&] {
    while (i < ext.size() && is_bws(ext[i])) ++i;
  };
  auto token = [&] {
    const std::size_t from = i;
    while (i < ext.size() && is_tchar(static_cast<unsigned char>(ext[i]))) ++i;
    return i > from;
  };
  auto quoted_string = [&] {
    for (++i; i < ext.size(); ++i) {
      const auto c = static_cast<unsigned char>(ext[i]);
      if (c == '"') {
        ++i;
        return true;
      }
      if (c == '\\') {
        if (++i == ext.size() || !is_field_value_char(static_cast<unsigned char>(ext[i]))) {
          return false;
        }
      } else if (!is_field_value_char(c)) {
        return false;
      }
    }
    return false;
  };
  for (;;) {
    skip_bws();
    if (i == ext.size()) return true;
    if (ext[i++] != ';') return false;
    skip_bws();
    if (!token()) return false;
    skip_bws();
    if (i < ext.size() && ext[i] == '=') {
      ++i;
      skip_bws();
      if (i < ext.size() && ext[i] == '"' ? !quoted_string() : !token()) return false;
    }
  }
}

// The line starting at `from`, up to its LF: the position of that LF, or npos.
std::size_t find_lf(std::span<const char> request, std::size_t from, std::size_t limit) {
  const std::size_t end = std::min(request.size(), from + limit);
  const void* lf = std::memchr(request.data() + from, '\n', end - from);
  return lf ? static_cast<const char*>(lf) - request.data() : std::string_view::npos;
}

}  // namespace

void ChunkedBody::start(std::size_t offset) {
  stage_ = Stage::size_line;
  body_offset_ = read_ = write_ = offset;
  chunk_left_ = 0;
  trailer_offset_ = 0;
  trailers_.clear();
  error_ = ParseError::none;
}

ChunkedBody::Step ChunkedBody::fail(ParseError why) {
  error_ = why;
  return Step::error;
}

ChunkedBody::Result ChunkedBody::decode(std::span<char> request, const Limits& limits) {
  Step step = Step::next;
  while (step == Step::next && stage_ != Stage::done && read_ < request.size()) {
    switch (stage_) {
      case Stage::size_line:
        step = size_line(request, limits);
        break;
      case Stage::data:
        step = data(request);
        break;
      case Stage::data_crlf:
        step = data_crlf(request);
        break;
      case Stage::trailers:
        step = trailer_line(request, limits);
        break;
      case Stage::done:
        break;
    }
  }
  if (step == Step::error) return Result::error;
  return stage_ == Stage::done ? Result::complete : Result::incomplete;
}

ChunkedBody::Step ChunkedBody::size_line(std::span<char> request, const Limits& limits) {
  const std::size_t lf = find_lf(request, read_, kMaxChunkLineBytes);
  if (lf == std::string_view::npos) {
    if (request.size() - read_ >= kMaxChunkLineBytes) return fail(ParseError::chunk_line_too_long);
    if (request.size() - body_offset_ > limits.max_body_bytes) {
      return fail(ParseError::body_too_large);
    }
    return Step::wait;
  }
  if (lf == read_ || request[lf - 1] != '\r') return fail(ParseError::invalid_chunk);
  std::string_view line(request.data() + read_, lf - 1 - read_);

  std::size_t digits = 0;
  std::size_t size = 0;
  for (; digits < line.size() && hex_value(line[digits]) >= 0; ++digits) {
    size = size * 16 + static_cast<std::size_t>(hex_value(line[digits]));
    if (size > limits.max_body_bytes) return fail(ParseError::body_too_large);
  }
  if (digits == 0 || !valid_extensions(line.substr(digits))) {
    return fail(ParseError::invalid_chunk);
  }
  read_ = lf + 1;
  if (size == 0) {
    stage_ = Stage::trailers;
    trailer_offset_ = read_;
    return Step::next;
  }
  // The chunk and its CRLF, as they will be held, must fit: refused before they arrive.
  if (read_ + size + 2 - body_offset_ > limits.max_body_bytes) {
    return fail(ParseError::body_too_large);
  }
  chunk_left_ = size;
  stage_ = Stage::data;
  return Step::next;
}

ChunkedBody::Step ChunkedBody::data(std::span<char> request) {
  const std::size_t n = std::min(chunk_left_, request.size() - read_);
  if (write_ != read_) std::memmove(request.data() + write_, request.data() + read_, n);
  write_ += n;
  read_ += n;
  chunk_left_ -= n;
  if (chunk_left_ == 0) stage_ = Stage::data_crlf;
  return Step::next;
}

ChunkedBody::Step ChunkedBody::data_crlf(std::span<char> request) {
  // Exactly CRLF: any other two bytes would let a front end and sloe disagree on where the
  // next chunk starts.
  if (request[read_] != '\r') return fail(ParseError::missing_chunk_crlf);
  if (read_ + 1 == request.size()) return Step::wait;
  if (request[read_ + 1] != '\n') return fail(ParseError::missing_chunk_crlf);
  read_ += 2;
  stage_ = Stage::size_line;
  return Step::next;
}

ChunkedBody::Step ChunkedBody::trailer_line(std::span<char> request, const Limits& limits) {
  // The whole trailer section, up to and including its last LF, fits the trailer budget.
  const std::size_t horizon = trailer_offset_ + limits.max_trailer_bytes;
  const std::size_t lf = find_lf(request, read_, horizon - read_);
  if (lf == std::string_view::npos) {
    if (request.size() >= horizon) return fail(ParseError::trailers_too_large);
    return Step::wait;
  }
  if (lf == read_ || request[lf - 1] != '\r') return fail(ParseError::invalid_trailer);
  std::string_view line(request.data() + read_, lf - 1 - read_);
  const std::size_t line_offset = read_;
  read_ = lf + 1;
  if (line.empty()) {
    stage_ = Stage::done;
    return Step::next;
  }
  if (is_bws(line.front())) return fail(ParseError::obsolete_line_folding);
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
    return fail(ParseError::invalid_trailer);
  }
  std::string_view value = line.substr(colon + 1);
  for (char c : value) {
    if (!is_field_value_char(static_cast<unsigned char>(c))) {
      return fail(ParseError::invalid_trailer);
    }
  }
  while (!value.empty() && is_bws(value.front())) value.remove_prefix(1);
  while (!value.empty() && is_bws(value.back())) value.remove_suffix(1);
  if (trailers_.size() >= limits.max_headers) return fail(ParseError::trailers_too_large);
  trailers_.push_back(
      {static_cast<std::uint32_t>(line_offset), static_cast<std::uint32_t>(colon),
       static_cast<std::uint32_t>(value.empty() ? read_ : value.data() - request.data()),
       static_cast<std::uint32_t>(value.size())});
  return Step::next;
}

}  // namespace sloe::http
