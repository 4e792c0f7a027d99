#include "http/response.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>

#include "http/request.hpp"

namespace sloe::http {

namespace {
// A value often carries client input (a redirect target, an echoed id): a CR or LF in it would
// let the client write headers of its own. Go's net/http turns them into spaces; so does sloe.
void assign_field_value(std::string& field, std::string_view value) {
  field.assign(value);
  for (char& c : field) {
    if (c == '\r' || c == '\n') c = ' ';
  }
}
}  // namespace

void ResponseHeaders::set(std::string_view name, std::string_view value) {
  bool found = false;
  for (std::size_t i = 0; i < size_;) {
    if (iequals(fields_[i].name, name)) {
      if (!found) {
        assign_field_value(fields_[i].value, value);
        found = true;
      } else {
        std::swap(fields_[i], fields_[--size_]);
        continue;
      }
    }
    ++i;
  }
  if (!found) add(name, value);
}

void ResponseHeaders::add(std::string_view name, std::string_view value) {
  Field& field = append();
  field.name.assign(name);
  assign_field_value(field.value, value);
}

void ResponseHeaders::remove(std::string_view name) {
  for (std::size_t i = 0; i < size_;) {
    if (iequals(fields_[i].name, name)) {
      std::swap(fields_[i], fields_[--size_]);
    } else {
      ++i;
    }
  }
}

std::string_view ResponseHeaders::get(std::string_view name) const {
  for (const Field& f : *this) {
    if (iequals(f.name, name)) return f.value;
  }
  return {};
}

bool ResponseHeaders::contains(std::string_view name) const {
  for (const Field& f : *this) {
    if (iequals(f.name, name)) return true;
  }
  return false;
}

ResponseHeaders::Field& ResponseHeaders::append() {
  if (size_ == fields_.size()) fields_.emplace_back();
  return fields_[size_++];
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 203:
      return "Non-Authoritative Information";
    case 204:
      return "No Content";
    case 205:
      return "Reset Content";
    case 206:
      return "Partial Content";
    case 300:
      return "Multiple Choices";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 402:
      return "Payment Required";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Range Not Satisfiable";
    case 417:
      return "Expectation Failed";
    case 418:
      return "I'm a teapot";
    case 421:
      return "Misdirected Request";
    case 422:
      return "Unprocessable Content";
    case 425:
      return "Too Early";
    case 426:
      return "Upgrade Required";
    case 428:
      return "Precondition Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 451:
      return "Unavailable For Legal Reasons";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

std::string_view http_date() {
  thread_local std::time_t cached_second = 0;
  thread_local char buffer[40];
  thread_local std::size_t length = 0;
  std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm utc{};
    gmtime_r(&now, &utc);
    length = std::strftime(buffer, sizeof buffer, "%a, %d %b %Y %H:%M:%S GMT", &utc);
    cached_second = now;
  }
  return {buffer, length};
}

namespace {

void append_number(std::string& out, std::size_t n) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
  out.append(digits, end);
}

void append_status_line(std::string& out, int status) {
  if (status == 200) {
    out.append("HTTP/1.1 200 OK\r\n");
    return;
  }
  out.append("HTTP/1.1 ");
  append_number(out, static_cast<std::size_t>(status));
  out.push_back(' ');
  out.append(reason_phrase(status));
  out.append("\r\n");
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

}  // namespace

void serialize_head(std::string& out, int status, const ResponseHeaders& headers, BodyLength length,
                    ResponseFraming framing) {
  append_status_line(out, status);
  out.append("Server: sloe\r\nDate: ");
  out.append(http_date());
  out.append("\r\n");
  for (const auto& field : headers) append_field(out, field.name, field.value);
  if (!is_bodiless_status(status)) {
    if (length.kind == BodyLength::Kind::content_length) {
      out.append("Content-Length: ");
      append_number(out, length.bytes);
      out.append("\r\n");
    } else if (length.kind == BodyLength::Kind::chunked) {
      out.append("Transfer-Encoding: chunked\r\n");
    }
  }
  if (!framing.keep_alive) {
    out.append("Connection: close\r\n");
  } else if (framing.http10) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
}

void serialize(std::string& out, int status, const ResponseHeaders& headers, std::string_view body,
               ResponseFraming framing) {
  serialize_head(out, status, headers,
                 {.kind = BodyLength::Kind::content_length, .bytes = body.size()}, framing);
  if (!is_bodiless_status(status) && !framing.head_request) out.append(body);
}

void serialize_error(std::string& out, int status, std::string_view reason) {
  ResponseHeaders headers;
  headers.set("Content-Type", "text/plain; charset=utf-8");
  std::string body(reason);
  body.push_back('\n');
  serialize(out, status, headers, body, {.head_request = false, .keep_alive = false});
}

void serialize_error(std::string& out, ParseError error) {
  serialize_error(out, status_of(error), reason_of(error));
}

}  // namespace sloe::http
