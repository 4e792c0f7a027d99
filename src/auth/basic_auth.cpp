#include "sloe/auth/basic_auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "auth/authorization_header.hpp"
#include "auth/base64.hpp"
#include "sloe/context/context.hpp"

namespace sloe {

namespace {

using Digest = std::array<unsigned char, 32>;

// Credentials are compared as SHA-256 digests: equal-length values that CRYPTO_memcmp compares
// in constant time, so neither the comparison's time nor an early exit on a length mismatch
// tells a client how long a user name or password is.
Digest sha256(std::string_view text) {
  Digest digest{};
  unsigned int size = 0;
  if (EVP_Digest(text.data(), text.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1 ||
      size != digest.size()) {
    throw std::runtime_error("sloe::basic_auth: OpenSSL could not compute SHA-256");
  }
  return digest;
}

struct Account {
  std::string user;
  Digest user_digest;
  Digest password_digest;
};

struct BasicAuthState {
  std::vector<Account> accounts;
  std::string challenge;  // the WWW-Authenticate value
};

// The index of the account these credentials name with its password, or accounts.size().
// Every account is compared in full, whichever matches, so the time does not depend on which
// one did, or on whether the user name or the password was wrong.
std::size_t find_account(const std::vector<Account>& accounts, std::string_view user,
                         std::string_view password) {
  Digest user_digest = sha256(user);
  Digest password_digest = sha256(password);
  std::size_t found = accounts.size();
  for (std::size_t i = 0; i < accounts.size(); ++i) {
    const Account& account = accounts[i];
    int user_differs = CRYPTO_memcmp(user_digest.data(), account.user_digest.data(), 32);
    int password_differs =
        CRYPTO_memcmp(password_digest.data(), account.password_digest.data(), 32);
    // All ones when both match, else zero; selects i without a branch on the secret.
    std::size_t mask =
        std::size_t{0} - static_cast<std::size_t>((user_differs | password_differs) == 0);
    found = (found & ~mask) | (i & mask);
  }
  return found;
}

}  // namespace

Handler basic_auth(const Accounts& accounts, std::string_view realm) {
  if (accounts.empty()) {
    throw std::invalid_argument("sloe::basic_auth: no accounts; give it at least one user");
  }
  auto state = std::make_shared<BasicAuthState>();
  for (const auto& [user, password] : accounts) {
    if (user.empty() || user.find(':') != std::string::npos) {
      throw std::invalid_argument(
          "sloe::basic_auth: a user name must be non-empty and without ':' (RFC 7617)");
    }
    state->accounts.push_back({user, sha256(user), sha256(password)});
  }
  state->challenge =
      "Basic realm=" + auth::quoted_string(realm.empty() ? "Authorization Required" : realm);

  return [state = std::shared_ptr<const BasicAuthState>(std::move(state))](Context& c) {
    std::size_t found = state->accounts.size();
    if (auto credentials = auth::credentials_for(c.header("Authorization"), "Basic")) {
      if (auto decoded = auth::decode_base64(*credentials)) {
        std::string_view pair = *decoded;
        std::size_t colon = pair.find(':');
        if (colon != std::string_view::npos) {
          found = find_account(state->accounts, pair.substr(0, colon), pair.substr(colon + 1));
        }
      }
    }
    if (found == state->accounts.size()) {
      c.header("WWW-Authenticate", state->challenge);
      c.abort_with_status(401);
      return;
    }
    c.set(auth_user_key, state->accounts[found].user);
  };
}

}  // namespace sloe
