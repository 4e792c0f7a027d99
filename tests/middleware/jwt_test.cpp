// sloe::JwtVerifier: what a token must be to pass, one table of cases per concern, with tokens
// made by OpenSSL directly (tests/support/test_tokens.hpp) against a fixed clock.

#include <gtest/gtest.h>
#include <sloe/sloe.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <system_error>

#include "../support/temp_tree.hpp"
#include "../support/test_tokens.hpp"

namespace {

using namespace std::chrono_literals;
using sloe::test::base64url;
using sloe::test::hs256_token;
using sloe::test::RsaKey;

constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef";  // 32 bytes
constexpr long long kNow = 1'700'000'000;
constexpr std::string_view kHs256 = R"({"alg":"HS256","typ":"JWT"})";
constexpr std::string_view kRs256 = R"({"alg":"RS256","typ":"JWT"})";

std::chrono::system_clock::time_point fixed_now() {
  return std::chrono::system_clock::time_point(std::chrono::seconds(kNow));
}

sloe::JwtOptions hs256_options() {
  sloe::JwtOptions options;
  options.secret = std::string(kSecret);
  options.issuer = "https://issuer.test/";
  options.audience = "orders";
  options.leeway = 30s;
  options.clock = fixed_now;
  return options;
}

// A payload that passes hs256_options(), with `extra` members replacing or adding to it.
std::string claims(std::string_view extra = "") {
  std::string json = fmt::format(R"({{"sub":"alice","iss":"https://issuer.test/","aud":"orders",)"
                                 R"("exp":{},"role":"admin"}})",
                                 kNow + 60);
  if (extra.empty()) return json;
  sloe::json merged = sloe::json::parse(json);
  merged.merge_patch(sloe::json::parse(extra));  // a null member removes the claim
  return merged.dump();
}

constexpr std::string_view kNotAJwt = "not a JWT: it needs three non-empty parts separated by dots";
constexpr std::string_view kBadHeader = "the JOSE header is not base64url JSON";
constexpr std::string_view kBadPayload = "the payload is not base64url JSON";
constexpr std::string_view kBadSignatureText = "the signature is not base64url";
constexpr std::string_view kWrongAlg = "the token's \"alg\" is not the verifier's algorithm";
constexpr std::string_view kMismatch = "the signature does not match";

// Why verify() refused `token`, or "" when it accepted it.
std::string refusal(const sloe::JwtVerifier& verifier, std::string_view token) {
  try {
    verifier.verify(token);
    return "";
  } catch (const sloe::InvalidToken& e) {
    return e.what();
  }
}

TEST(Jwt, AValidTokenGivesItsSubjectAndClaims) {
  sloe::JwtVerifier verifier(hs256_options());
  sloe::Identity identity = verifier.verify(hs256_token(kHs256, claims(), kSecret));
  EXPECT_EQ(identity.subject, "alice");
  EXPECT_EQ(identity.claims["role"], "admin");
  EXPECT_EQ(identity.claims["exp"], kNow + 60);
}

TEST(Jwt, TimeClaimsAreCheckedWithTheLeeway) {
  struct Case {
    std::string_view name;
    std::string extra;         // merged into the valid payload
    std::string_view refused;  // the start of the reason; empty: accepted
  };
  const Case cases[] = {
      {"expired within the leeway", fmt::format(R"({{"exp":{}}})", kNow - 29), ""},
      {"expired exactly at the leeway", fmt::format(R"({{"exp":{}}})", kNow - 30),
       "the token has expired"},
      {"expired past the leeway", fmt::format(R"({{"exp":{}}})", kNow - 3600),
       "the token has expired"},
      {"fractional exp", fmt::format(R"({{"exp":{}.5}})", kNow - 30), ""},
      {"no exp", R"({"exp":null})", "the token has no \"exp\""},
      {"exp is a string", fmt::format(R"({{"exp":"{}"}})", kNow + 60),
       "the \"exp\" claim is not a number"},
      {"nbf passed", fmt::format(R"({{"nbf":{}}})", kNow - 10), ""},
      {"nbf ahead within the leeway", fmt::format(R"({{"nbf":{}}})", kNow + 30), ""},
      {"nbf ahead past the leeway", fmt::format(R"({{"nbf":{}}})", kNow + 31),
       "the token is not valid yet"},
      {"nbf is a bool", R"({"nbf":true})", "the \"nbf\" claim is not a number"},
  };
  sloe::JwtVerifier verifier(hs256_options());
  for (const Case& test : cases) {
    SCOPED_TRACE(test.name);
    std::string reason = refusal(verifier, hs256_token(kHs256, claims(test.extra), kSecret));
    EXPECT_EQ(reason.substr(0, test.refused.size()), test.refused);
    EXPECT_EQ(reason.empty(), test.refused.empty()) << reason;
  }
}

TEST(Jwt, ExpiryCanBeMadeOptional) {
  sloe::JwtOptions options = hs256_options();
  options.require_expiry = false;
  sloe::JwtVerifier verifier(options);
  EXPECT_EQ(refusal(verifier, hs256_token(kHs256, claims(R"({"exp":null})"), kSecret)), "");
  // Present, it is still checked.
  EXPECT_EQ(refusal(verifier, hs256_token(kHs256, claims(R"({"exp":1})"), kSecret)),
            "the token has expired");
}

TEST(Jwt, IssuerAndAudienceMustMatchTheConfiguredOnes) {
  struct Case {
    std::string_view name;
    std::string_view extra;
    bool accepted;
  };
  const Case cases[] = {
      {"audience string", R"({"aud":"orders"})", true},
      {"audience in an array", R"({"aud":["billing","orders"]})", true},
      {"other audience", R"({"aud":"billing"})", false},
      {"array without it", R"({"aud":["billing","shipping"]})", false},
      {"empty array", R"({"aud":[]})", false},
      {"audience of another type", R"({"aud":{"orders":true}})", false},
      {"no audience", R"({"aud":null})", false},
      {"audience differing in case", R"({"aud":"Orders"})", false},
      {"other issuer", R"({"iss":"https://evil.test/"})", false},
      {"issuer without the slash", R"({"iss":"https://issuer.test"})", false},
      {"no issuer", R"({"iss":null})", false},
      {"issuer as an array", R"({"iss":["https://issuer.test/"]})", false},
  };
  sloe::JwtVerifier verifier(hs256_options());
  for (const Case& test : cases) {
    SCOPED_TRACE(test.name);
    std::string reason = refusal(verifier, hs256_token(kHs256, claims(test.extra), kSecret));
    EXPECT_EQ(reason.empty(), test.accepted) << reason;
  }
}

TEST(Jwt, WithoutAConfiguredAudienceATokenForSomeoneIsRefused) {
  sloe::JwtOptions options = hs256_options();
  options.audience.clear();
  options.issuer.clear();
  sloe::JwtVerifier verifier(options);
  EXPECT_EQ(refusal(verifier, hs256_token(kHs256, claims(R"({"aud":null})"), kSecret)), "");
  EXPECT_EQ(refusal(verifier, hs256_token(kHs256, claims(), kSecret)),
            "the token names an audience and the verifier has none configured");
}

TEST(Jwt, TheSignatureMustBeTheVerifiersAlgorithmOverTheseBytes) {
  std::string valid = hs256_token(kHs256, claims(), kSecret);
  std::size_t second_dot = valid.rfind('.');
  std::string signature = valid.substr(second_dot + 1);
  std::string forged_payload = base64url(claims(R"({"sub":"mallory"})"));
  std::string flipped = signature;
  flipped[5] = flipped[5] == 'A' ? 'B' : 'A';
  std::string bob = hs256_token(kHs256, claims(R"({"sub":"bob"})"), kSecret);

  struct Case {
    std::string_view name;
    std::string token;
    std::string_view reason;
  };
  const Case cases[] = {
      {"tampered signature", valid.substr(0, second_dot + 1) + flipped, kMismatch},
      {"tampered payload", valid.substr(0, valid.find('.') + 1) + forged_payload + "." + signature,
       kMismatch},
      {"another secret", hs256_token(kHs256, claims(), "another secret of at least 32 bytes"),
       kMismatch},
      {"signature cut short", valid.substr(0, valid.size() - 4), kBadSignatureText},
      {"signature of another token", bob.substr(0, bob.rfind('.') + 1) + signature, kMismatch},
      {"alg none, no signature", base64url(R"({"alg":"none"})") + "." + base64url(claims()) + ".",
       kNotAJwt},
      {"alg none, HMAC signature", hs256_token(R"({"alg":"none"})", claims(), kSecret), kWrongAlg},
      {"alg in lower case", hs256_token(R"({"alg":"hs256"})", claims(), kSecret), kWrongAlg},
      {"alg HS512", hs256_token(R"({"alg":"HS512"})", claims(), kSecret), kWrongAlg},
      {"no alg", hs256_token(R"({"typ":"JWT"})", claims(), kSecret), kWrongAlg},
      {"alg not a string", hs256_token(R"({"alg":["HS256"]})", claims(), kSecret), kWrongAlg},
      {"critical extension",
       hs256_token(R"({"alg":"HS256","crit":["exp"],"exp":1})", claims(), kSecret),
       "the token has critical header extensions"},
  };
  sloe::JwtVerifier verifier(hs256_options());
  ASSERT_EQ(refusal(verifier, valid), "");
  for (const Case& test : cases) {
    SCOPED_TRACE(test.name);
    EXPECT_EQ(refusal(verifier, test.token), test.reason);
  }
}

TEST(Jwt, MalformedTokensAreRefusedWithoutDecodingMore) {
  std::string header = base64url(kHs256);
  std::string payload = base64url(claims());
  std::string valid = hs256_token(kHs256, claims(), kSecret);
  std::string signature = valid.substr(valid.rfind('.') + 1);
  struct Case {
    std::string_view name;
    std::string token;
    std::string_view reason;
  };
  const Case cases[] = {
      {"empty", "", kNotAJwt},
      {"one part", header, kNotAJwt},
      {"two parts", header + "." + payload, kNotAJwt},
      {"four parts", valid + "." + signature, kNotAJwt},
      {"empty header", "." + payload + "." + signature, kNotAJwt},
      {"empty payload", header + ".." + signature, kNotAJwt},
      {"padded header", header + "==." + payload + "." + signature, kBadHeader},
      {"standard alphabet", valid.substr(0, valid.size() - 1) + "+", kBadSignatureText},
      {"a slash", valid.substr(0, valid.size() - 1) + "/", kBadSignatureText},
      {"a space", header + " ." + payload + "." + signature, kBadHeader},
      {"a NUL", header + std::string(1, '\0') + "." + payload + "." + signature, kBadHeader},
      {"impossible length", header + "." + payload + "." + signature + "AA", kBadSignatureText},
      {"header not JSON", base64url("alg=HS256") + "." + payload + "." + signature, kBadHeader},
      {"header a JSON array", hs256_token(R"(["HS256"])", claims(), kSecret), kBadHeader},
      {"payload not JSON", hs256_token(kHs256, "sub=alice", kSecret), kBadPayload},
      {"payload a JSON string", hs256_token(kHs256, R"("alice")", kSecret), kBadPayload},
      {"payload not UTF-8", hs256_token(kHs256, "{\"sub\":\"\xff\"}", kSecret), kBadPayload},
      {"sub not a string", hs256_token(kHs256, claims(R"({"sub":42})"), kSecret),
       "the \"sub\" claim is not a string"},
  };
  sloe::JwtVerifier verifier(hs256_options());
  for (const Case& test : cases) {
    SCOPED_TRACE(test.name);
    EXPECT_EQ(refusal(verifier, test.token), test.reason);
  }
}

TEST(Jwt, NonZeroBitsAfterTheLastByteMakeAnotherSpellingThatIsRefused) {
  // 32 signature bytes are 43 base64url characters; the last carries 2 unused bits. Setting
  // one gives text that lenient decoders read as the same signature.
  std::string valid = hs256_token(kHs256, claims(), kSecret);
  std::string respelled = valid;
  char& last = respelled.back();
  const std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  last = alphabet[alphabet.find(last) | 1];
  ASSERT_NE(respelled, valid);
  sloe::JwtVerifier verifier(hs256_options());
  EXPECT_EQ(refusal(verifier, valid), "");
  EXPECT_EQ(refusal(verifier, respelled), kBadSignatureText);
}

TEST(Jwt, TokensLongerThanTheCapAreRefusedBeforeDecoding) {
  std::string padding(9000, 'x');
  std::string big = hs256_token(kHs256, claims(fmt::format(R"({{"pad":"{}"}})", padding)), kSecret);
  sloe::JwtOptions options = hs256_options();
  EXPECT_EQ(refusal(sloe::JwtVerifier(options), big), "the token is too long");
  options.max_token_bytes = 16384;
  EXPECT_EQ(refusal(sloe::JwtVerifier(options), big), "");
}

const RsaKey& rsa_key() {
  static const RsaKey key;
  return key;
}

sloe::JwtOptions rs256_options() {
  sloe::JwtOptions options = hs256_options();
  options.algorithm = sloe::JwtAlgorithm::rs256;
  options.secret.clear();
  options.public_key_pem = rsa_key().public_pem();
  return options;
}

TEST(Jwt, Rs256VerifiesWithThePublicKey) {
  sloe::JwtVerifier verifier(rs256_options());
  std::string valid = rsa_key().token(kRs256, claims());
  EXPECT_EQ(verifier.verify(valid).subject, "alice");

  RsaKey other;
  std::string tampered = valid;
  tampered[tampered.size() - 10] = tampered[tampered.size() - 10] == 'A' ? 'B' : 'A';
  EXPECT_EQ(refusal(verifier, other.token(kRs256, claims())), kMismatch);
  EXPECT_EQ(refusal(verifier, tampered), kMismatch);
  EXPECT_EQ(refusal(verifier, rsa_key().token(kRs256, claims(R"({"exp":1})"))),
            "the token has expired");
}

TEST(Jwt, Rs256KeyFromAFile) {
  sloe::test::TempTree tree;
  tree.write("jwt.pub", rsa_key().public_pem());
  sloe::JwtOptions options = rs256_options();
  options.public_key_pem.clear();
  options.public_key_file = tree.path("jwt.pub");
  sloe::JwtVerifier verifier(options);
  EXPECT_EQ(verifier.verify(rsa_key().token(kRs256, claims())).subject, "alice");

  options.public_key_file = tree.path("missing.pub");
  EXPECT_THROW(sloe::JwtVerifier{options}, std::system_error);
}

// The classic confusion: a verifier that let the token's "alg" pick the check would verify an
// HS256 token with the RSA public key's PEM text as the HMAC secret, and anyone can make those.
TEST(Jwt, TheTokensAlgCannotSwitchTheVerifiersAlgorithm) {
  std::string pem = rsa_key().public_pem();
  sloe::JwtVerifier rs256(rs256_options());
  EXPECT_EQ(refusal(rs256, hs256_token(kHs256, claims(), pem)), kWrongAlg);
  // Even with the header claiming RS256, an HMAC made with the PEM is no RSA signature.
  EXPECT_EQ(refusal(rs256, hs256_token(kRs256, claims(), pem)), kMismatch);

  // The other way round: an HS256 verifier (whose secret happens to be long) refuses a
  // genuine RS256 token.
  sloe::JwtOptions options = hs256_options();
  options.secret = pem;
  sloe::JwtVerifier hs256(options);
  EXPECT_EQ(refusal(hs256, rsa_key().token(kRs256, claims())), kWrongAlg);
  EXPECT_EQ(refusal(hs256, hs256_token(kHs256, claims(), pem)), "");
}

TEST(Jwt, BadOptionsAreRefusedAtConstruction) {
  RsaKey small(1024);
  struct Case {
    std::string_view name;
    sloe::JwtOptions options;
  };
  auto with = [](auto change) {
    sloe::JwtOptions options = hs256_options();
    change(options);
    return options;
  };
  const Case cases[] = {
      {"short secret", with([](sloe::JwtOptions& o) { o.secret = "too short"; })},
      {"HS256 with a public key", with([](sloe::JwtOptions& o) { o.public_key_pem = "x"; })},
      {"negative leeway", with([](sloe::JwtOptions& o) { o.leeway = -1s; })},
      {"RS256 without a key", with([](sloe::JwtOptions& o) {
         o.algorithm = sloe::JwtAlgorithm::rs256;
         o.secret.clear();
       })},
      {"RS256 with a secret", with([](sloe::JwtOptions& o) {
         o.algorithm = sloe::JwtAlgorithm::rs256;
         o.public_key_pem = rsa_key().public_pem();
       })},
      {"RS256 with text that is no PEM", with([](sloe::JwtOptions& o) {
         o.algorithm = sloe::JwtAlgorithm::rs256;
         o.secret.clear();
         o.public_key_pem = "-----BEGIN PUBLIC KEY-----\nnonsense\n-----END PUBLIC KEY-----\n";
       })},
      {"RS256 with a 1024-bit key", with([&small](sloe::JwtOptions& o) {
         o.algorithm = sloe::JwtAlgorithm::rs256;
         o.secret.clear();
         o.public_key_pem = small.public_pem();
       })},
  };
  for (const Case& test : cases) {
    SCOPED_TRACE(test.name);
    EXPECT_THROW(sloe::JwtVerifier{test.options}, std::invalid_argument);
  }
}

}  // namespace
