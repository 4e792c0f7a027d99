#include "http/request_parser.hpp"

#include <algorithm>
#include <utility>

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

}  // namespace

const llhttp_settings_t& RequestParser::settings() {
  static const llhttp_settings_t instance = [] {
    llhttp_settings_t s;
    llhttp_settings_init(&s);
    s.on_message_begin = &RequestParser::on_message_begin;
    s.on_url = &RequestParser::on_url;
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
  fed_ = 0;
  consumed_ = 0;
  phase_ = Phase::idle;
  last_ = Last::none;
  expect_continue_ = false;
  chunked_ = false;
  has_content_length_ = false;
  host_count_ = 0;
  body_bytes_ = 0;
  target_ = {};
  body_ = {};
  header_spans_.clear();
  headers_.clear();
  chunked_body_.clear();
  request_ = {};
}

bool RequestParser::take_expect_continue() {
  return std::exchange(expect_continue_, false);
}

RequestParser::Result RequestParser::parse(std::string_view data) {
  base_ = data.data();
  if (error_ != ParseError::none) return Result::error;
  if (fed_ >= data.size()) return Result::incomplete;
  if (phase_ == Phase::idle) phase_ = Phase::headers;

  llhttp_errno_t code = llhttp_execute(&parser_, base_ + fed_, data.size() - fed_);
  switch (code) {
    case HPE_OK:
      fed_ = data.size();
      if (phase_ == Phase::headers && fed_ > limits_.max_header_bytes) {
        fail(ParseError::header_too_large);
        return Result::error;
      }
      return Result::incomplete;
    case HPE_PAUSED:
      consumed_ = static_cast<std::size_t>(llhttp_get_error_pos(&parser_) - base_);
      fed_ = consumed_;
      llhttp_resume(&parser_);
      materialize();
      return Result::complete;
    default:
      if (error_ == ParseError::none) error_ = from_llhttp(code);
      return Result::error;
  }
}

ParseError RequestParser::from_llhttp(llhttp_errno_t code) const {
  switch (code) {
    case HPE_INVALID_CONTENT_LENGTH:
    case HPE_UNEXPECTED_CONTENT_LENGTH:
      return ParseError::invalid_content_length;
    case HPE_INVALID_VERSION:
      return ParseError::unsupported_version;
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

int RequestParser::on_message_begin(llhttp_t* p) {
  self(p).phase_ = Phase::headers;
  return 0;
}

int RequestParser::on_url(llhttp_t* p, const char* at, std::size_t length) {
  RequestParser& r = self(p);
  r.extend(r.target_, at, length);
  if (r.target_.length > r.limits_.max_target_bytes) return r.fail(ParseError::target_too_long);
  return 0;
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
  r.last_ = Last::value;
  r.extend(r.header_spans_.back().value, at, length);
  if (static_cast<std::size_t>(at + length - r.base_) > r.limits_.max_header_bytes) {
    return r.fail(ParseError::header_too_large);
  }
  return 0;
}

int RequestParser::on_header_value_complete(llhttp_t* p) {
  RequestParser& r = self(p);
  r.last_ = Last::value;
  if (r.header_spans_.empty()) return 0;
  const HeaderSpan& h = r.header_spans_.back();
  std::string_view name = r.view(h.name);
  std::string_view value = trim(h.value.length ? r.view(h.value) : std::string_view{});
  if (iequals(name, "content-length")) {
    if (r.has_content_length_ || !all_digits(value))
      return r.fail(ParseError::invalid_content_length);
    if (r.chunked_) return r.fail(ParseError::ambiguous_framing);
    r.has_content_length_ = true;
  } else if (iequals(name, "transfer-encoding")) {
    if (p->http_major == 1 && p->http_minor == 0) {
      return r.fail(ParseError::transfer_encoding_on_http10);
    }
    if (r.has_content_length_) return r.fail(ParseError::ambiguous_framing);
    if (r.chunked_) return r.fail(ParseError::malformed);  // chunked applied twice
    if (!iequals(value, "chunked")) return r.fail(ParseError::unsupported_transfer_encoding);
    r.chunked_ = true;
  } else if (iequals(name, "host")) {
    ++r.host_count_;
  } else if (iequals(name, "expect") && iequals(value, "100-continue")) {
    r.expect_continue_ = p->http_major == 1 && p->http_minor == 1;
  }
  return 0;
}

int RequestParser::on_headers_complete(llhttp_t* p) {
  RequestParser& r = self(p);
  // llhttp reads a request line without a version ("GET /\r\n") as HTTP/0.9: that is a
  // malformed HTTP/1.x request line (400), not a version sloe does not support (505).
  if (p->http_major == 0) return r.fail(ParseError::malformed);
  if (p->http_major != 1) return r.fail(ParseError::unsupported_version);
  bool http11 = p->http_minor == 1;
  if (r.host_count_ > 1 || (http11 && r.host_count_ == 0)) return r.fail(ParseError::missing_host);
  if (r.has_content_length_ && p->content_length > r.limits_.max_body_bytes) {
    return r.fail(ParseError::body_too_large);
  }
  if (!r.chunked_ && p->content_length == 0) r.expect_continue_ = false;
  r.upgrade_ = p->upgrade != 0;
  r.phase_ = Phase::body;
  return 0;
}

int RequestParser::on_body(llhttp_t* p, const char* at, std::size_t length) {
  RequestParser& r = self(p);
  r.expect_continue_ = false;
  r.body_bytes_ += length;
  if (r.body_bytes_ > r.limits_.max_body_bytes) return r.fail(ParseError::body_too_large);
  if (r.chunked_) {
    r.chunked_body_.append(at, length);
  } else {
    r.extend(r.body_, at, length);
  }
  return 0;
}

int RequestParser::on_message_complete(llhttp_t* p) {
  self(p).expect_continue_ = false;
  return HPE_PAUSED;
}

void RequestParser::rebase(const char* base) {
  base_ = base;
  materialize();
}

void RequestParser::materialize() {
  headers_.clear();
  for (const HeaderSpan& h : header_spans_) {
    headers_.push_back({view(h.name), trim(h.value.length ? view(h.value) : std::string_view{})});
  }
  Request& q = request_;
  q.method_id = static_cast<MethodId>(parser_.method);
  q.method = method_name(q.method_id);
  q.target = view(target_);
  std::string_view target = strip_authority(q.target);
  target = target.substr(0, target.find('#'));
  std::size_t question = target.find('?');
  q.path = target.substr(0, question);
  q.query = question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);
  q.version_major = parser_.http_major;
  q.version_minor = parser_.http_minor;
  q.keep_alive = llhttp_should_keep_alive(&parser_) != 0 && !upgrade_;
  q.headers = headers_;
  q.body = chunked_ ? std::string_view{chunked_body_} : view(body_);
}

}  // namespace sloe::http
