// The credential parsers of src/auth against reference encoders written here:
//   - decode_base64 / decode_base64url accept exactly the canonical encodings: whatever they
//     decode re-encodes to the same text, and every byte string's encoding decodes back;
//   - credentials_for returns a non-empty suffix of the header that follows the scheme and
//     spaces;
//   - JwtVerifier (HS256, a fixed clock) never accepts the input as a token, since the input
//     cannot know the key, and throws nothing but sloe::InvalidToken;
//   - the input made into a token signed with the key (header and payload JSON split at the
//     first '\n'; without one the header is {"alg":"HS256"}) is accepted exactly when the
//     header is an object with "alg":"HS256" and no "crit", and the payload is an object whose
//     time claims are numbers in range, without "aud", with "sub" absent or a string; then
//     the claims are the payload.
// Input: any bytes.

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "auth/authorization_header.hpp"
#include "auth/base64.hpp"
#include "fuzz_support.hpp"
#include "sloe/auth/jwt.hpp"

namespace {

using sloe::fuzz::check;
using sloe::fuzz::printable;

constexpr std::string_view kSecret = "fuzzing-secret-of-at-least-32-bytes!";
constexpr double kNow = 1'700'000'000;

std::string encode(std::string_view bytes, std::string_view alphabet, bool pad) {
  std::string out;
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t n = (std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
                      (std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8) |
                      static_cast<unsigned char>(bytes[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) out.push_back(alphabet[(n >> shift) & 63]);
  }
  std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t n = std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16;
    if (rest == 2) n |= std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8;
    out.push_back(alphabet[(n >> 18) & 63]);
    out.push_back(alphabet[(n >> 12) & 63]);
    if (rest == 2) out.push_back(alphabet[(n >> 6) & 63]);
    if (pad) out.append(rest == 1 ? "==" : "=");
  }
  return out;
}

constexpr std::string_view kStandard =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrl =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void check_base64(std::string_view input) {
  if (auto decoded = sloe::auth::decode_base64(input)) {
    check(encode(*decoded, kStandard, true) == input,
          "decode_base64 accepted a non-canonical text: " + printable(input));
  }
  if (auto decoded = sloe::auth::decode_base64url(input)) {
    check(encode(*decoded, kUrl, false) == input,
          "decode_base64url accepted a non-canonical text: " + printable(input));
  }
  check(sloe::auth::decode_base64(encode(input, kStandard, true)) == std::string(input),
        "decode_base64 refused or changed the encoding of " + printable(input));
  check(sloe::auth::decode_base64url(encode(input, kUrl, false)) == std::string(input),
        "decode_base64url refused or changed the encoding of " + printable(input));
}

void check_credentials(std::string_view input) {
  auto credentials = sloe::auth::credentials_for(input, "Basic");
  if (!credentials) return;
  check(!credentials->empty() && credentials->front() != ' ' &&
            credentials->data() + credentials->size() == input.data() + input.size(),
        "credentials_for gave something else than the header's end: " + printable(input));
  std::string_view before = input.substr(0, input.size() - credentials->size());
  check(before.size() > 5 && before.find_first_not_of(' ', 5) == std::string_view::npos,
        "credentials_for accepted a scheme that is not Basic: " + printable(input));
  for (std::size_t i = 0; i < 5; ++i) {
    check((before[i] | 0x20) == "basic"[i],
          "credentials_for accepted a scheme that is not Basic: " + printable(input));
  }
}

const sloe::JwtVerifier& verifier() {
  static const sloe::JwtVerifier instance([] {
    sloe::JwtOptions options;
    options.secret = std::string(kSecret);
    options.require_expiry = false;
    options.leeway = std::chrono::seconds(0);
    options.clock = [] {
      return std::chrono::system_clock::time_point(
          std::chrono::seconds(static_cast<long long>(kNow)));
    };
    return options;
  }());
  return instance;
}

std::optional<sloe::Identity> verify(std::string_view token) {
  try {
    return verifier().verify(token);
  } catch (const sloe::InvalidToken&) {
    return std::nullopt;
  }
}

std::string signed_token(std::string_view header, std::string_view payload) {
  std::string signed_part = encode(header, kUrl, false) + "." + encode(payload, kUrl, false);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), kSecret.data(), static_cast<int>(kSecret.size()),
       reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size(), mac, &size);
  return signed_part + "." +
         encode(std::string_view(reinterpret_cast<const char*>(mac), size), kUrl, false);
}

// What the verifier must decide for a correctly signed token, written from RFC 7519 directly.
bool should_accept(const sloe::json& header, const sloe::json& claims) {
  if (!header.is_object() || !claims.is_object()) return false;
  auto alg = header.find("alg");
  if (alg == header.end() || *alg != "HS256" || header.contains("crit")) return false;
  if (claims.contains("aud")) return false;
  if (claims.contains("sub") && !claims["sub"].is_string()) return false;
  if (claims.contains("exp") &&
      !(claims["exp"].is_number() && kNow < claims["exp"].get<double>())) {
    return false;
  }
  if (claims.contains("nbf") &&
      !(claims["nbf"].is_number() && kNow >= claims["nbf"].get<double>())) {
    return false;
  }
  return true;
}

void check_jwt(std::string_view input) {
  check(!verify(input), "a token the input made up was accepted: " + printable(input));

  std::size_t newline = input.find('\n');
  std::string_view header_json =
      newline == std::string_view::npos ? R"({"alg":"HS256"})" : input.substr(0, newline);
  std::string_view payload_json =
      newline == std::string_view::npos ? input : input.substr(newline + 1);
  std::string token = signed_token(header_json, payload_json);
  if (token.size() > 8192) return;  // refused for its length, whatever it holds
  sloe::json header = sloe::json::parse(header_json, nullptr, false);
  sloe::json claims = sloe::json::parse(payload_json, nullptr, false);
  std::optional<sloe::Identity> identity = verify(token);
  check(identity.has_value() == should_accept(header, claims),
        std::string(identity ? "accepted" : "refused") + " a signed token with header " +
            printable(header_json) + " and payload " + printable(payload_json));
  if (identity) {
    check(identity->claims == claims, "the claims are not the payload: " + printable(input));
    check(identity->subject == claims.value("sub", std::string()),
          "the subject is not \"sub\": " + printable(input));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  check_base64(input);
  check_credentials(input);
  check_jwt(input);
  return 0;
}
