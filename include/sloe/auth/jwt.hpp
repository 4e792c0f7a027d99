#pragma once
// JSON Web Token verification (RFC 7519) for bearer_auth(): HS256 and RS256 signatures
// (RFC 7515, 7518) checked with OpenSSL.
//
//   sloe::JwtOptions options;
//   options.algorithm = sloe::JwtAlgorithm::rs256;
//   options.public_key_file = "/etc/app/jwt.pub";  // PEM; or public_key_pem with the text
//   options.issuer = "https://auth.example.com/";
//   options.audience = "orders-api";
//   app.group("/api", sloe::jwt_auth(options));

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sloe/auth/bearer_auth.hpp"
#include "sloe/context/handler.hpp"

namespace sloe {

/// The signature algorithm a JwtVerifier accepts: exactly one, chosen by the server. A token's
/// own `alg` header must name it; it never chooses the key or the algorithm (so `alg: none`
/// and an HS256 token signed with an RSA public key are refused).
enum class JwtAlgorithm {
  hs256,  // HMAC with SHA-256 and a shared secret
  rs256,  // RSASSA-PKCS1-v1_5 with SHA-256 and an RSA public key
};

struct JwtOptions {
  JwtAlgorithm algorithm = JwtAlgorithm::hs256;
  /// HS256: the shared secret, at least 32 bytes (RFC 7518 §3.2: no shorter than the hash).
  std::string secret{};
  /// RS256: the RSA public key (2048 bits or more) as PEM text,
  /// "-----BEGIN PUBLIC KEY-----..." (SubjectPublicKeyInfo, what `openssl rsa -pubout` writes).
  std::string public_key_pem{};
  /// RS256: a file holding that PEM text, read once by the JwtVerifier's constructor; used
  /// when public_key_pem is empty.
  std::string public_key_file{};
  /// When not empty, the token's "iss" must be exactly this.
  std::string issuer{};
  /// When not empty, the token's "aud" (a string, or an array of strings) must contain it.
  /// When empty, a token that has an "aud" is refused (RFC 7519 §4.1.3: it is meant for
  /// someone who says who they are).
  std::string audience{};
  /// How far the server's clock may be from the issuer's: "exp" and "nbf" are checked with
  /// this much tolerance.
  std::chrono::seconds leeway{60};
  /// Refuse tokens without "exp": a token that never expires cannot be taken back.
  bool require_expiry = true;
  /// Longer tokens are refused before anything is decoded.
  std::size_t max_token_bytes = 8192;
  /// The current time; empty means std::chrono::system_clock::now (tests set a fixed clock).
  std::function<std::chrono::system_clock::time_point()> clock{};
};

/// Verifies JWTs in compact serialization against one key and algorithm. Construction checks
/// the options and loads the key, throwing std::invalid_argument (or std::system_error for an
/// unreadable key file) at start-up rather than on the first request. Copies share the key;
/// verifying is safe from several threads at once.
class JwtVerifier {
 public:
  explicit JwtVerifier(JwtOptions options);

  /// The token's Identity ("sub" and the payload), or sloe::InvalidToken saying why it was
  /// refused: malformed, too long, wrong algorithm, bad signature, expired, not yet valid,
  /// wrong issuer or audience.
  Identity verify(std::string_view token) const;
  /// verify(), as a sloe::TokenVerifier for bearer_auth().
  std::optional<Identity> operator()(std::string_view token) const { return verify(token); }

 private:
  struct Key;
  JwtOptions options_;
  std::shared_ptr<const Key> key_;
};

/// bearer_auth() with a JwtVerifier: `app.use(sloe::jwt_auth(options))`. Throws like the
/// JwtVerifier's constructor.
Handler jwt_auth(JwtOptions options, std::string_view realm = {});

}  // namespace sloe
