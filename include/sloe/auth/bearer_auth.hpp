#pragma once

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "sloe/context/handler.hpp"
#include "sloe/context/json.hpp"

namespace sloe {

/// Who a bearer token says the client is. bearer_auth() stores it under sloe::identity_key,
/// so handlers read it with `c.get<sloe::Identity>(sloe::identity_key)`, and so does a
/// `c.copy()` taken after the middleware ran.
struct Identity {
  std::string subject;  // the token's "sub": also stored under sloe::auth_user_key
  sloe::json claims;    // everything the token asserts (a JWT's payload), an object
};

/// The key of the sloe::Identity that bearer_auth() and jwt_auth() store.
inline constexpr std::string_view identity_key = "identity";

/// Thrown by a token verifier to refuse a token and say why; bearer_auth() answers 401 with
/// `error="invalid_token"` and records the reason with `c.error()` (logger() prints it, escaped).
/// The reason is for the server's log: never put the token itself in it.
class InvalidToken : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Checks a bearer token and tells who it belongs to: an Identity to accept it, std::nullopt
/// or a thrown sloe::InvalidToken to refuse it. Any other exception is a server error (500),
/// not the client's. Called on the request's worker thread, concurrently on several workers.
using TokenVerifier = std::function<std::optional<Identity>(std::string_view token)>;

/// Bearer token authentication (RFC 6750): takes the token of `Authorization: Bearer <token>`
/// and asks `verify`. Accepted, the request goes on with the Identity under sloe::identity_key
/// and its subject under sloe::auth_user_key. Without a bearer token the answer is 401 with
/// `WWW-Authenticate: Bearer`; a token that is malformed or refused gets 401 with
/// `WWW-Authenticate: Bearer error="invalid_token"`. `realm`, when not empty, is added as
/// `realm="..."`. The chain is aborted on every 401.
Handler bearer_auth(TokenVerifier verify, std::string_view realm = {});

}  // namespace sloe
