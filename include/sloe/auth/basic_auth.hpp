#pragma once

#include <map>
#include <string>
#include <string_view>

#include "sloe/context/handler.hpp"

namespace sloe {

/// The key under which the authentication middleware stores the user name, as a std::string:
/// `c.get<std::string>(sloe::auth_user_key)` (Gin's `gin.AuthUserKey`). basic_auth() stores the
/// account's name; bearer_auth() and jwt_auth() store the identity's subject.
inline constexpr std::string_view auth_user_key = "user";

/// User name → password, the accounts basic_auth() accepts (Gin's `gin.Accounts`).
using Accounts = std::map<std::string, std::string, std::less<>>;

/// HTTP Basic authentication (RFC 7617; Gin's `gin.BasicAuthForRealm`): a request whose
/// `Authorization: Basic ...` names one of `accounts` with its password goes on with the user
/// name under sloe::auth_user_key; any other gets 401 with
/// `WWW-Authenticate: Basic realm="<realm>"` and the chain is aborted. An empty realm means
/// "Authorization Required", as in Gin. Credentials are compared in constant time: the answer
/// takes as long whichever account, user name or password was wrong, and whatever their
/// lengths. Throws std::invalid_argument for no accounts, an empty user name or one with a
/// ':' (RFC 7617 cannot carry it), or a realm with control characters.
Handler basic_auth(const Accounts& accounts, std::string_view realm = {});

}  // namespace sloe
