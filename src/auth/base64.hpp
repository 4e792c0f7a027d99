#pragma once
// Strict base64 decoding for credentials: one spelling per byte string, so that no two
// different headers or tokens decode to the same bytes and nothing unexpected slips through.

#include <optional>
#include <string>
#include <string_view>

namespace sloe::auth {

/// RFC 4648 §4 base64 with its '=' padding, as HTTP Basic credentials carry it (RFC 7617).
/// nullopt for a character outside the alphabet, a length that is not a multiple of 4,
/// misplaced padding or non-zero bits after the last byte.
std::optional<std::string> decode_base64(std::string_view text);

/// RFC 4648 §5 base64url without padding, as JWTs carry it (RFC 7515 §2). nullopt for a
/// character outside the alphabet (including '='), an impossible length (4n + 1) or non-zero
/// bits after the last byte.
std::optional<std::string> decode_base64url(std::string_view text);

}  // namespace sloe::auth
