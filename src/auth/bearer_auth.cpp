#include "sloe/auth/bearer_auth.hpp"

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "auth/authorization_header.hpp"
#include "sloe/auth/basic_auth.hpp"
#include "sloe/context/context.hpp"

namespace sloe {

namespace {

struct BearerChallenges {
  std::string no_token;       // `Bearer` or `Bearer realm="..."`
  std::string invalid_token;  // the same with error="invalid_token" (RFC 6750 §3.1)
};

void refuse(Context& c, const std::string& challenge) {
  c.header("WWW-Authenticate", challenge);
  c.abort_with_status(401);
}

}  // namespace

Handler bearer_auth(TokenVerifier verify, std::string_view realm) {
  if (!verify) throw std::invalid_argument("sloe::bearer_auth: the verifier is empty");
  auto challenges = std::make_shared<BearerChallenges>();
  challenges->no_token = "Bearer";
  if (!realm.empty()) challenges->no_token += " realm=" + auth::quoted_string(realm);
  challenges->invalid_token = challenges->no_token + (realm.empty() ? " " : ", ");
  challenges->invalid_token += "error=\"invalid_token\"";

  return [verify = std::move(verify),
          challenges = std::shared_ptr<const BearerChallenges>(std::move(challenges))](Context& c) {
    std::optional<std::string_view> token =
        auth::credentials_for(c.header("Authorization"), "Bearer");
    if (!token) return refuse(c, challenges->no_token);
    if (!auth::is_token68(*token)) {
      c.error("bearer token refused: not a token68 (the syntax of RFC 6750 section 2.1)");
      return refuse(c, challenges->invalid_token);
    }
    std::optional<Identity> identity;
    try {
      identity = verify(*token);
    } catch (const InvalidToken& refused) {
      // The verifier's reason, never the token; logger() escapes it all the same.
      c.error(std::string("bearer token refused: ") + refused.what());
      return refuse(c, challenges->invalid_token);
    }
    if (!identity) {
      c.error("bearer token refused by the verifier");
      return refuse(c, challenges->invalid_token);
    }
    c.set(auth_user_key, identity->subject);
    c.set(identity_key, std::move(*identity));
  };
}

}  // namespace sloe
