#pragma once
// The Authorization request header (RFC 9110 §11.6.2): `<scheme> <credentials>`.

#include <optional>
#include <string>
#include <string_view>

namespace sloe::auth {

/// The credentials after `scheme` (compared case-insensitively, RFC 9110 §11.1) and one or
/// more spaces; nullopt when the header names another scheme or has no credentials.
std::optional<std::string_view> credentials_for(std::string_view authorization,
                                                std::string_view scheme);

/// Whether `credentials` is a token68 (RFC 9110 §11.2): what Basic and Bearer credentials are.
bool is_token68(std::string_view credentials);

/// `text` as an HTTP quoted-string (RFC 9110 §5.6.4), for a challenge's realm. Throws
/// std::invalid_argument for control characters, which a quoted-string cannot carry.
std::string quoted_string(std::string_view text);

}  // namespace sloe::auth
