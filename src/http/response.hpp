#pragma once
// The response side of the http layer: reusable header storage and the serializer that turns
// status, headers and body into bytes on the connection's output buffer.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/field_syntax.hpp"
#include "http/parse_error.hpp"

namespace sloe::http {

/// Response header fields, reused across requests: clear() keeps every string's capacity, so a
/// steady stream of responses with the same shape allocates nothing. Values are stored with CR
/// and LF turned into spaces.
class ResponseHeaders {
 public:
  struct Field {
    std::string name;
    std::string value;
  };

  /// Replaces every field with this name (case-insensitive) by one with `value`.
  void set(std::string_view name, std::string_view value);
  /// Appends a field even if one with this name exists (Set-Cookie).
  void add(std::string_view name, std::string_view value);
  void remove(std::string_view name);
  /// The first value for `name`, empty when absent.
  std::string_view get(std::string_view name) const;
  bool contains(std::string_view name) const;
  void clear() { size_ = 0; }

  std::size_t size() const { return size_; }
  const Field* begin() const { return fields_.data(); }
  const Field* end() const { return fields_.data() + size_; }

 private:
  Field& append();

  std::vector<Field> fields_;
  std::size_t size_ = 0;
};

struct ResponseFraming {
  bool head_request = false;  // send the headers of the body, not the body
  bool keep_alive = true;
  bool http10 = false;  // an HTTP/1.0 client that keeps alive needs "Connection: keep-alive"
};

/// How the client finds the end of a body.
struct BodyLength {
  enum class Kind : std::uint8_t { content_length, chunked, until_close };
  Kind kind = Kind::content_length;
  std::size_t bytes = 0;  // for content_length
};

/// 1xx, 204 and 304 answers carry no body and no framing fields.
inline bool is_bodiless_status(int status) {
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

/// Appends an HTTP/1.1 status line and header section to `out`, adding Server, Date, the body's
/// framing and Connection.
void serialize_head(std::string& out, int status, const ResponseHeaders& headers, BodyLength length,
                    ResponseFraming framing);

/// Appends a complete HTTP/1.1 response to `out` (the body left out for HEAD and for bodiless
/// statuses).
void serialize(std::string& out, int status, const ResponseHeaders& headers, std::string_view body,
               ResponseFraming framing);

/// Appends a plain-text error answer that closes the connection.
void serialize_error(std::string& out, int status, std::string_view reason);
/// The answer to a request that could not be parsed.
void serialize_error(std::string& out, ParseError error);

/// "OK", "Not Found", ...; "Unknown" for codes without a registered phrase.
std::string_view reason_phrase(int status);

/// The current time as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), cached per thread and
/// recomputed once a second.
std::string_view http_date();

}  // namespace sloe::http
