#pragma once
// Makes the credentials the auth tests present, with OpenSSL directly rather than with the
// code under test: base64 and base64url text, HS256 and RS256 JWTs, and RSA keys generated
// on the spot (so no private key is committed).

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <memory>
#include <string>
#include <string_view>

namespace sloe::test {

/// RFC 4648 base64 with padding.
inline std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int size = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                             reinterpret_cast<const unsigned char*>(bytes.data()),
                             static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(size));
  return out;
}

/// RFC 4648 base64url without padding, as JWTs carry it.
inline std::string base64url(std::string_view bytes) {
  std::string out = base64(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& ch : out) {
    if (ch == '+') ch = '-';
    if (ch == '/') ch = '_';
  }
  return out;
}

inline std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &size);
  return std::string(reinterpret_cast<char*>(mac), size);
}

/// header.payload.signature with an HMAC-SHA256 signature made with `key`, whatever the
/// header says (so a test can sign a lying header).
inline std::string hs256_token(std::string_view header_json, std::string_view payload_json,
                               std::string_view key) {
  std::string signed_part = base64url(header_json) + "." + base64url(payload_json);
  return signed_part + "." + base64url(hmac_sha256(key, signed_part));
}

/// An RSA key pair generated for the test run.
class RsaKey {
 public:
  explicit RsaKey(unsigned bits = 2048) : key_(EVP_RSA_gen(bits)) {
    EXPECT_NE(key_, nullptr) << "RSA key generation failed";
  }
  ~RsaKey() { EVP_PKEY_free(key_); }
  RsaKey(const RsaKey&) = delete;
  RsaKey& operator=(const RsaKey&) = delete;

  /// The public key as "-----BEGIN PUBLIC KEY-----" PEM text.
  std::string public_pem() const {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    PEM_write_bio_PUBKEY(bio.get(), key_);
    char* data = nullptr;
    long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
  }

  /// RSASSA-PKCS1-v1_5 with SHA-256 over `data`.
  std::string sign(std::string_view data) const {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    std::size_t size = 0;
    EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_);
    EVP_DigestSign(ctx.get(), nullptr, &size, reinterpret_cast<const unsigned char*>(data.data()),
                   data.size());
    std::string signature(size, '\0');
    EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                   reinterpret_cast<const unsigned char*>(data.data()), data.size());
    signature.resize(size);
    return signature;
  }

  /// header.payload.signature signed with this key.
  std::string token(std::string_view header_json, std::string_view payload_json) const {
    std::string signed_part = base64url(header_json) + "." + base64url(payload_json);
    return signed_part + "." + base64url(sign(signed_part));
  }

 private:
  EVP_PKEY* key_;
};

}  // namespace sloe::test
