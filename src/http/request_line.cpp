#include "http/request_line.hpp"

#include "http/field_syntax.hpp"
#include "http/request.hpp"

namespace sloe::http {

namespace {

bool starts_with_scheme(std::string_view target) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target.size() > scheme.size() && iequals(target.substr(0, scheme.size()), scheme)) {
      return true;
    }
  }
  return false;
}

// RFC 9112 §3.2: origin-form for every method, absolute-form (http and https) for every
// method, authority-form only with CONNECT, asterisk-form only with OPTIONS.
bool target_form_allowed(std::string_view method, std::string_view target) {
  if (target.front() == '/' || starts_with_scheme(target)) return true;
  if (target == "*") return method == "OPTIONS";
  return method == "CONNECT";
}

// "HTTP/" DIGIT "." DIGIT CR LF, checked as far as `rest` goes so that a wrong byte is refused
// the moment it arrives.
constexpr std::string_view kVersionShape = "HTTP/9.9\r\n";

bool version_prefix_ok(std::string_view rest) {
  if (rest.size() >= kVersionShape.size()) {  // the usual case, without a loop
    return rest.starts_with("HTTP/") && rest[5] >= '0' && rest[5] <= '9' && rest[6] == '.' &&
           rest[7] >= '0' && rest[7] <= '9' && rest[8] == '\r' && rest[9] == '\n';
  }
  for (std::size_t i = 0; i < rest.size(); ++i) {
    const char want = kVersionShape[i];
    const char got = rest[i];
    if (want == '9' ? (got < '0' || got > '9') : got != want) return false;
  }
  return true;
}

}  // namespace

LineResult parse_request_line(std::string_view data, const Limits& limits, RequestLine& line,
                              ParseError& error) {
  auto fail = [&](ParseError why) {
    error = why;
    return LineResult::error;
  };
  auto need_more = [&] {
    return data.size() > limits.max_header_bytes ? fail(ParseError::header_too_large)
                                                 : LineResult::incomplete;
  };

  std::size_t i = 0;
  // RFC 9112 §2.2: a server ignores empty lines received before a request line.
  while (i < data.size() && data[i] == '\r') {
    if (i + 1 == data.size()) return need_more();
    if (data[i + 1] != '\n') return fail(ParseError::malformed);
    i += 2;
  }
  line.method_offset = i;
  while (i < data.size() && is_tchar(static_cast<unsigned char>(data[i]))) ++i;
  if (i == data.size()) return need_more();
  if (i == line.method_offset || data[i] != ' ') return fail(ParseError::malformed);
  line.method_length = i - line.method_offset;

  line.target_offset = ++i;
  // Visible ASCII and obs-text: no CTL, no space inside a target.
  unsigned char high_bits = 0;
  while (i < data.size() && static_cast<unsigned char>(data[i]) > ' ' && data[i] != '\x7f') {
    high_bits |= static_cast<unsigned char>(data[i]) & 0x80;
    ++i;
  }
  line.target_length = i - line.target_offset;
  if (line.target_length > limits.max_target_bytes) return fail(ParseError::target_too_long);
  if (i == data.size()) return need_more();
  if (line.target_length == 0 || data[i] != ' ') return fail(ParseError::invalid_target);

  std::string_view version = data.substr(++i);
  if (!version_prefix_ok(version)) return fail(ParseError::malformed);
  if (version.size() < kVersionShape.size()) return need_more();
  line.end = i + kVersionShape.size();
  if (line.end > limits.max_header_bytes) return fail(ParseError::header_too_large);
  if (version[5] != '1') return fail(ParseError::unsupported_version);
  line.version_major = 1;
  // RFC 9110 §2.5: a higher minor version is answered as the highest one supported.
  line.version_minor = version[7] == '0' ? 0 : 1;

  std::string_view method = data.substr(line.method_offset, line.method_length);
  std::string_view target = data.substr(line.target_offset, line.target_length);
  if (!target_form_allowed(method, target)) return fail(ParseError::invalid_target);
  const MethodId id = method_id(method);
  line.plain = high_bits == 0 && target.front() == '/' && version[7] <= '1' &&
               (id <= kMethodTrace || id == kMethodPatch) && id != kMethodConnect;
  return LineResult::complete;
}

}  // namespace sloe::http
