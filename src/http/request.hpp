#pragma once
// A parsed HTTP request: views into the connection's read buffer, valid until the request
// completes. Nothing here owns memory; `ContextCopy` is the owning counterpart.

#include <cstdint>
#include <span>
#include <string_view>

namespace sloe::http {

struct Header {
  std::string_view name;
  std::string_view value;
};

/// llhttp's method numbers (HTTP_METHOD_MAP); kept as a small integer so per-method tables index
/// it.
using MethodId = std::uint8_t;
inline constexpr MethodId kMethodCount = 34;
inline constexpr MethodId kMethodDelete = 0, kMethodGet = 1, kMethodHead = 2, kMethodPost = 3,
                          kMethodPut = 4, kMethodConnect = 5, kMethodOptions = 6, kMethodTrace = 7,
                          kMethodPatch = 28;

/// The method's number (case-sensitive, as Gin), or kMethodCount for an extension method.
MethodId method_id(std::string_view name);
std::string_view method_name(MethodId id);

struct Request {
  MethodId method_id = kMethodGet;
  std::string_view method;
  std::string_view target;  // as sent: path and query
  std::string_view path;    // target up to '?', still percent-encoded
  std::string_view query;   // after '?', without it
  std::uint8_t version_major = 1;
  std::uint8_t version_minor = 1;
  bool keep_alive = true;
  std::span<const Header> headers;
  /// Fields after a chunked body (RFC 9110 §6.5): apart from the headers, they never change
  /// framing, the connection or the request id.
  std::span<const Header> trailers;
  std::string_view body;

  /// The first header with this name (case-insensitive), empty when absent.
  std::string_view header(std::string_view name) const;
  /// The first trailer field with this name (case-insensitive), empty when absent.
  std::string_view trailer(std::string_view name) const;
};

bool iequals(std::string_view a, std::string_view b);

}  // namespace sloe::http
