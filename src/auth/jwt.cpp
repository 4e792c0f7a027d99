#include "sloe/auth/jwt.hpp"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

#include "auth/base64.hpp"
#include "sloe/context/json.hpp"

namespace sloe {

namespace {

constexpr std::size_t kMinimumSecretBytes = 32;  // RFC 7518 §3.2: as long as SHA-256's output
constexpr int kMinimumRsaBits = 2048;            // RFC 7518 §3.3

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

std::string_view algorithm_name(JwtAlgorithm algorithm) {
  return algorithm == JwtAlgorithm::hs256 ? "HS256" : "RS256";
}

std::string read_key_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    throw std::system_error(errno, std::generic_category(),
                            "sloe::JwtVerifier: cannot read public_key_file " + path);
  }
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

std::unique_ptr<EVP_PKEY, PkeyFree> load_rsa_public_key(const std::string& pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  std::unique_ptr<EVP_PKEY, PkeyFree> key;
  if (bio) key.reset(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  // OpenSSL's error queue is per thread and read by whoever calls it next (Asio's TLS among
  // them): leave nothing behind.
  ERR_clear_error();
  if (!key) {
    throw std::invalid_argument(
        "sloe::JwtVerifier: public_key_pem is not a PEM public key "
        "(\"-----BEGIN PUBLIC KEY-----\", as `openssl rsa -pubout` writes it)");
  }
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) {
    throw std::invalid_argument("sloe::JwtVerifier: RS256 needs an RSA public key");
  }
  if (EVP_PKEY_get_bits(key.get()) < kMinimumRsaBits) {
    throw std::invalid_argument("sloe::JwtVerifier: RS256 needs an RSA key of 2048 bits or more");
  }
  return key;
}

// A parsed JSON object from base64url text, or nullopt.
std::optional<sloe::json> decode_json_object(std::string_view base64url) {
  std::optional<std::string> text = auth::decode_base64url(base64url);
  if (!text) return std::nullopt;
  sloe::json value = sloe::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!value.is_object()) return std::nullopt;  // also a parse error (a discarded value)
  return value;
}

double seconds_since_epoch(std::chrono::system_clock::time_point time) {
  return std::chrono::duration<double>(time.time_since_epoch()).count();
}

// A NumericDate claim (RFC 7519 §2): absent, or a JSON number of seconds since the epoch.
std::optional<double> numeric_date(const sloe::json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end()) return std::nullopt;
  if (!it->is_number())
    throw InvalidToken(std::string("the \"") + name + "\" claim is not a number");
  return it->get<double>();
}

bool audience_includes(const sloe::json& aud, const std::string& audience) {
  if (aud.is_string()) return aud.get_ref<const std::string&>() == audience;
  if (!aud.is_array()) return false;
  for (const sloe::json& entry : aud) {
    if (entry.is_string() && entry.get_ref<const std::string&>() == audience) return true;
  }
  return false;
}

}  // namespace

struct JwtVerifier::Key {
  std::string secret;                              // HS256
  std::unique_ptr<EVP_PKEY, PkeyFree> public_key;  // RS256

  Key() = default;
  Key(const Key&) = delete;
  Key& operator=(const Key&) = delete;
  // A freed secret is not left for a later allocation (or a core dump) to show.
  ~Key() { OPENSSL_cleanse(secret.data(), secret.size()); }

  bool signature_matches(JwtAlgorithm algorithm, std::string_view signed_part,
                         const std::string& signature) const {
    if (algorithm == JwtAlgorithm::hs256) {
      unsigned char mac[EVP_MAX_MD_SIZE];
      unsigned int mac_size = 0;
      if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
               reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size(), mac,
               &mac_size) == nullptr) {
        ERR_clear_error();
        throw std::runtime_error("sloe::JwtVerifier: OpenSSL could not compute HMAC-SHA256");
      }
      // The length is public (32 bytes); the bytes are compared in constant time.
      return signature.size() == mac_size && CRYPTO_memcmp(signature.data(), mac, mac_size) == 0;
    }
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    bool valid =
        ctx &&
        EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, public_key.get()) == 1 &&
        EVP_DigestVerify(
            ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
            reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size()) == 1;
    ERR_clear_error();  // a refused signature leaves its reasons on the thread's queue
    return valid;
  }
};

JwtVerifier::JwtVerifier(JwtOptions options) : options_(std::move(options)) {
  if (options_.leeway < std::chrono::seconds(0)) {
    throw std::invalid_argument("sloe::JwtVerifier: leeway cannot be negative");
  }
  auto key = std::make_shared<Key>();
  if (options_.algorithm == JwtAlgorithm::hs256) {
    if (!options_.public_key_pem.empty() || !options_.public_key_file.empty()) {
      throw std::invalid_argument(
          "sloe::JwtVerifier: a public key is for RS256; HS256 verifies with `secret`");
    }
    if (options_.secret.size() < kMinimumSecretBytes) {
      throw std::invalid_argument(
          "sloe::JwtVerifier: the HS256 secret must be at least 32 bytes (RFC 7518 §3.2)");
    }
    key->secret = options_.secret;
  } else {
    if (!options_.secret.empty()) {
      throw std::invalid_argument(
          "sloe::JwtVerifier: `secret` is for HS256; RS256 verifies with public_key_pem");
    }
    std::string pem = options_.public_key_pem;
    if (pem.empty() && !options_.public_key_file.empty())
      pem = read_key_file(options_.public_key_file);
    if (pem.empty()) {
      throw std::invalid_argument(
          "sloe::JwtVerifier: RS256 needs public_key_pem or public_key_file");
    }
    key->public_key = load_rsa_public_key(pem);
  }
  // The options keep no secret of their own: the key lives once, shared by the copies.
  OPENSSL_cleanse(options_.secret.data(), options_.secret.size());
  options_.secret.clear();
  options_.public_key_pem.clear();
  key_ = std::move(key);
}

Identity JwtVerifier::verify(std::string_view token) const {
  if (token.size() > options_.max_token_bytes) throw InvalidToken("the token is too long");

  // Compact serialization: header.payload.signature, each base64url and none empty.
  std::size_t first_dot = token.find('.');
  std::size_t second_dot =
      first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos ||
      token.find('.', second_dot + 1) != std::string_view::npos || first_dot == 0 ||
      second_dot == first_dot + 1 || second_dot + 1 == token.size()) {
    throw InvalidToken("not a JWT: it needs three non-empty parts separated by dots");
  }

  std::optional<sloe::json> header = decode_json_object(token.substr(0, first_dot));
  if (!header) throw InvalidToken("the JOSE header is not base64url JSON");
  // The configured algorithm decides; the header must only agree with it. This is what
  // refuses "none" and an HS256 token made with an RSA public key as its secret.
  auto alg = header->find("alg");
  if (alg == header->end() || !alg->is_string() ||
      alg->get_ref<const std::string&>() != algorithm_name(options_.algorithm)) {
    throw InvalidToken("the token's \"alg\" is not the verifier's algorithm");
  }
  // RFC 7515 §4.1.11: extensions listed in "crit" must be understood; sloe knows none.
  if (header->contains("crit")) throw InvalidToken("the token has critical header extensions");

  std::optional<std::string> signature = auth::decode_base64url(token.substr(second_dot + 1));
  if (!signature) throw InvalidToken("the signature is not base64url");
  if (!key_->signature_matches(options_.algorithm, token.substr(0, second_dot), *signature)) {
    throw InvalidToken("the signature does not match");
  }

  // Only a signed payload is parsed.
  std::optional<sloe::json> claims =
      decode_json_object(token.substr(first_dot + 1, second_dot - first_dot - 1));
  if (!claims) throw InvalidToken("the payload is not base64url JSON");

  double now =
      seconds_since_epoch(options_.clock ? options_.clock() : std::chrono::system_clock::now());
  auto leeway = static_cast<double>(options_.leeway.count());
  std::optional<double> expires = numeric_date(*claims, "exp");
  if (!expires && options_.require_expiry) throw InvalidToken("the token has no \"exp\"");
  if (expires && now >= *expires + leeway) throw InvalidToken("the token has expired");
  std::optional<double> not_before = numeric_date(*claims, "nbf");
  if (not_before && now + leeway < *not_before) throw InvalidToken("the token is not valid yet");

  if (!options_.issuer.empty()) {
    auto iss = claims->find("iss");
    if (iss == claims->end() || !iss->is_string() ||
        iss->get_ref<const std::string&>() != options_.issuer) {
      throw InvalidToken("the token's \"iss\" is not the expected issuer");
    }
  }
  auto aud = claims->find("aud");
  if (options_.audience.empty()) {
    if (aud != claims->end()) {
      throw InvalidToken("the token names an audience and the verifier has none configured");
    }
  } else if (aud == claims->end() || !audience_includes(*aud, options_.audience)) {
    throw InvalidToken("the token's \"aud\" does not include the expected audience");
  }

  Identity identity;
  if (auto sub = claims->find("sub"); sub != claims->end()) {
    if (!sub->is_string()) throw InvalidToken("the \"sub\" claim is not a string");
    identity.subject = sub->get<std::string>();
  }
  identity.claims = std::move(*claims);
  return identity;
}

Handler jwt_auth(JwtOptions options, std::string_view realm) {
  return bearer_auth(JwtVerifier(std::move(options)), realm);
}

}  // namespace sloe
