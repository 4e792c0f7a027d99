#include "http/request_parser.hpp"

#include <algorithm>
#include <utility>

#include "http/field_syntax.hpp"

namespace sloe::http {

namespace {

RequestParser& self(llhttp_t* p) {
  return *static_cast<RequestParser*>(p->data);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// RFC 9112 §3.2: servers accept the absolute form ("http://host/path?q") and route on its path.
std::string_view strip_authority(std::string_view target) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target.size() > scheme.size() && iequals(target.substr(0, scheme.size()), scheme)) {
      std::string_view rest = target.substr(scheme.size());
      std::size_t slash = rest.find_first_of("/?");
      if (slash == std::string_view::npos) return "/";
      return rest.substr(slash);
    }
  }
  return target;
}

// Where llhttp would read a request line differently (an extension method, a non-ASCII or
// non-origin target, HTTP/1.2), it is given a line of sloe's making that only carries the
// version, then the header section as received: the method and target were checked by
// parse_request_line.
constexpr std::string_view kHttp10Line = "GET / HTTP/1.0\r\n";
constexpr std::string_view kHttp11Line = "GET / HTTP/1.1\r\n";

}  // namespace

const llhttp_settings_t& RequestParser::settings() {
  static const llhttp_settings_t instance = [] {
    llhttp_settings_t s;
    llhttp_settings_init(&s);
    s.on_header_field = &RequestParser::on_header_field;
    s.on_header_value = &RequestParser::on_header_value;
    s.on_header_value_complete = &RequestParser::on_header_value_complete;
    s.on_headers_complete = &RequestParser::on_headers_complete;
    s.on_body = &RequestParser::on_body;
    s.on_message_complete = &RequestParser::on_message_complete;
    return s;
  }();
  return instance;
}

RequestParser::RequestParser(const Limits& limits) : limits_(limits) {
  llhttp_init(&parser_, HTTP_REQUEST, &settings());
  parser_.data = this;
}

void RequestParser::next() {
  stage_ = Stage::request_line;
  fed_ = 0;
  consumed_ = 0;
  phase_ = Phase::idle;
  last_ = Last::none;
  expect_continue_ = false;
  upgrade_ = false;
  chunked_ = false;
  has_content_length_ = false;
  host_count_ = 0;
  line_ = {};
  body_ = {};
  header_spans_.clear();
  headers_.clear();
  trailers_.clear();
  request_ = {};
}

bool RequestParser::take_expect_continue() {
  return std::exchange(expect_continue_, false);
}

RequestParser::Result RequestParser::parse(std::span<char> data) {
  base_ = data.data();
  if (error_ != ParseError::none) return Result::error;
  if (fed_ >= data.size()) return Result::incomplete;
  if (phase_ == Phase::idle) phase_ = Phase::headers;
  const std::string_view bytes(data.data(), data.size());

  if (stage_ == Stage::request_line) {
    switch (http::parse_request_line(bytes, limits_, line_, error_)) {
      case LineResult::incomplete:
        return Result::incomplete;
      case LineResult::error:
        return Result::error;
      case LineResult::complete:
        start_head();
        break;
    }
  }
  if (stage_ == Stage::head) {
    Result result = parse_head(bytes);
    if (stage_ != Stage::chunked_body) return result;
  }
  return parse_chunked_body(data);
}

void RequestParser::start_head() {
  stage_ = Stage::head;
  if (line_.plain) {
    // llhttp reads this line as sloe did: it parses it again rather than a second, made-up
    // line (one llhttp_execute call per request instead of two).
    fed_ = line_.method_offset;
    return;
  }
  const std::string_view line = line_.version_minor == 0 ? kHttp10Line : kHttp11Line;
  llhttp_execute(&parser_, line.data(), line.size());
  fed_ = line_.end;
}

RequestParser::Result RequestParser::parse_head(std::string_view data) {
  if (fed_ == data.size()) return Result::incomplete;
  llhttp_errno_t code = llhttp_execute(&parser_, base_ + fed_, data.size() - fed_);
  switch (code) {
    case HPE_OK:
      fed_ = data.size();
      if (phase_ == Phase::headers && fed_ > limits_.max_header_bytes) {
        return failed(ParseError::header_too_large);
      }
      return Result::incomplete;
    case HPE_PAUSED: {
      const auto end = static_cast<std::size_t>(llhttp_get_error_pos(&parser_) - base_);
      llhttp_resume(&parser_);
      if (!chunked_) return complete(end);
      stage_ = Stage::chunked_body;
      chunked_body_.start(end);
      fed_ = end;
      return Result::incomplete;
    }
    default:
      return failed(error_ == ParseError::none ? from_llhttp(code) : error_);
  }
}

RequestParser::Result RequestParser::parse_chunked_body(std::span<char> data) {
  if (data.size() > chunked_body_.body_offset()) expect_continue_ = false;
  switch (chunked_body_.decode(data, limits_)) {
    case ChunkedBody::Result::incomplete:
      fed_ = data.size();
      return Result::incomplete;
    case ChunkedBody::Result::error:
      return failed(chunked_body_.error());
    case ChunkedBody::Result::complete:
      break;
  }
  return complete(chunked_body_.end());
}

RequestParser::Result RequestParser::complete(std::size_t end) {
  consumed_ = fed_ = end;
  materialize();
  return Result::complete;
}

RequestParser::Result RequestParser::failed(ParseError error) {
  fail(error);
  return Result::error;
}

ParseError RequestParser::from_llhttp(llhttp_errno_t code) const {
  switch (code) {
    case HPE_INVALID_CONTENT_LENGTH:
    case HPE_UNEXPECTED_CONTENT_LENGTH:
      return ParseError::invalid_content_length;
    default:
      return ParseError::malformed;
  }
}

int RequestParser::fail(ParseError error) {
  if (error_ == ParseError::none) error_ = error;
  return HPE_USER;
}

void RequestParser::extend(Span& span, const char* at, std::size_t length) {
  if (span.length == 0) span.offset = static_cast<std::uint32_t>(at - base_);
  span.length += static_cast<std::uint32_t>(length);
}

int RequestParser::on_header_field(llhttp_t* p, const char* at, std::size_t length) {
  RequestParser& r = self(p);
  if (r.last_ != Last::field) {
    if (r.header_spans_.size() >= r.limits_.max_headers)
      return r.fail(ParseError::header_too_large);
    r.header_spans_.emplace_back();
    r.last_ = Last::field;
  }
  r.extend(r.header_spans_.back().name, at, length);
  if (static_cast<std::size_t>(at + length - r.base_) > r.limits_.max_header_bytes) {
    return r.fail(ParseError::header_too_large);
  }
  return 0;
}

int RequestParser::on_header_value(llhttp_t* p, const char* at, std::size_t length) {
  RequestParser& r = self(p);
  if (length == 0) return 0;
  r.last_ = Last::value;
  Span& value = r.header_spans_.back().value;
  // llhttp reports a value continued on the next line (obs-fold) as another piece after the
  // CRLF it skipped: the pieces of one value must be contiguous, and the first must not start
  // past a line end.
  const char* expected = value.length ? r.base_ + value.offset + value.length : nullptr;
  if (expected == nullptr) {
    const Span& name = r.header_spans_.back().name;
    expected = r.base_ + name.offset + name.length;
    if (std::find(expected, at, '\n') != at) return r.fail(ParseError::obsolete_line_folding);
  } else if (at != expected) {
    return r.fail(ParseError::obsolete_line_folding);
  }
  r.extend(value, at, length);
  if (static_cast<std::size_t>(at + length - r.base_) > r.limits_.max_header_bytes) {
    return r.fail(ParseError::header_too_large);
  }
  return 0;
}

int RequestParser::on_header_value_complete(llhttp_t* p) {
  RequestParser& r = self(p);
  r.last_ = Last::done;
  const HeaderSpan& h = r.header_spans_.back();
  if (h.name.length == 0) return r.fail(ParseError::malformed);  // ": v"
  std::string_view name = r.view(h.name);
  std::string_view value = trim(h.value.length ? r.view(h.value) : std::string_view{});
  if (iequals(name, "content-length")) {
    if (r.has_content_length_ || !all_digits(value))
      return r.fail(ParseError::invalid_content_length);
    if (r.chunked_) return r.fail(ParseError::ambiguous_framing);
    r.has_content_length_ = true;
  } else if (iequals(name, "transfer-encoding")) {
    if (r.line_.version_minor == 0) return r.fail(ParseError::transfer_encoding_on_http10);
    if (r.has_content_length_) return r.fail(ParseError::ambiguous_framing);
    if (r.chunked_) return r.fail(ParseError::malformed);  // chunked applied twice
    if (!iequals(value, "chunked")) return r.fail(ParseError::unsupported_transfer_encoding);
    r.chunked_ = true;
  } else if (iequals(name, "host")) {
    ++r.host_count_;
    if (!is_valid_host(value)) return r.fail(ParseError::invalid_host);
  } else if (iequals(name, "expect") && iequals(value, "100-continue")) {
    r.expect_continue_ = r.line_.version_minor == 1;
  }
  return 0;
}

int RequestParser::on_headers_complete(llhttp_t* p) {
  RequestParser& r = self(p);
  const bool http11 = r.line_.version_minor == 1;
  if (r.host_count_ > 1 || (http11 && r.host_count_ == 0)) return r.fail(ParseError::missing_host);
  if (r.has_content_length_ && p->content_length > r.limits_.max_body_bytes) {
    return r.fail(ParseError::body_too_large);
  }
  if (!r.chunked_ && p->content_length == 0) r.expect_continue_ = false;
  const std::string_view method(r.base_ + r.line_.method_offset, r.line_.method_length);
  r.upgrade_ = p->upgrade != 0 || method == "CONNECT";
  r.phase_ = Phase::body;
  // 1 tells llhttp the message has no body: sloe decodes the chunks itself.
  return r.chunked_ ? 1 : 0;
}

int RequestParser::on_body(llhttp_t* p, const char* at, std::size_t length) {
  RequestParser& r = self(p);
  r.expect_continue_ = false;
  r.extend(r.body_, at, length);
  return 0;
}

int RequestParser::on_message_complete(llhttp_t* p) {
  RequestParser& r = self(p);
  // A chunked body is still to come: sloe decodes it after llhttp's message ends.
  if (!r.chunked_) r.expect_continue_ = false;
  return HPE_PAUSED;
}

void RequestParser::materialize() {
  headers_.clear();
  for (const HeaderSpan& h : header_spans_) {
    headers_.push_back({view(h.name), trim(h.value.length ? view(h.value) : std::string_view{})});
  }
  trailers_.clear();
  if (chunked_) {
    for (const ChunkedBody::FieldSpan& t : chunked_body_.trailers()) {
      trailers_.push_back(
          {{base_ + t.name_offset, t.name_length}, {base_ + t.value_offset, t.value_length}});
    }
  }
  Request& q = request_;
  q.method = {base_ + line_.method_offset, line_.method_length};
  q.method_id = method_id(q.method);
  q.target = {base_ + line_.target_offset, line_.target_length};
  std::string_view target = strip_authority(q.target);
  target = target.substr(0, target.find('#'));
  std::size_t question = target.find('?');
  q.path = target.substr(0, question);
  q.query = question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);
  q.version_major = line_.version_major;
  q.version_minor = line_.version_minor;
  q.keep_alive = llhttp_should_keep_alive(&parser_) != 0 && !upgrade_;
  q.headers = headers_;
  q.trailers = trailers_;
  q.body = chunked_
               ? std::string_view{base_ + chunked_body_.body_offset(), chunked_body_.body_length()}
               : view(body_);
}

}  // namespace sloe::http
