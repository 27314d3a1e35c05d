#pragma once
// Keys and files for the authentication tests, made at test time: RSA-2048 and EC P-256 private keys from
// OpenSSL's keygen in a temporary directory, JWKS files written by the library (JwtSigner::public_jwk_json), and
// hand-made tokens for the cases the signer never produces (alg none, HMAC forgeries, crafted headers).
// Header-only, so the unit tests and the fuzz test can both use it.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <jansson.h>
#include "auth/jose.hpp"
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "auth/jansson_ptr.hpp"
#include "auth/jwt_signer.hpp"
#include "auth/sha256.hpp"

namespace treasure::testing {

class TemporaryDirectory {
public:
    TemporaryDirectory()
    {
        char pattern[] = "/tmp/treasure-auth-XXXXXX";
        if (::mkdtemp(pattern) == nullptr)
            throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TemporaryDirectory() { std::filesystem::remove_all(path_); }
    TemporaryDirectory(const TemporaryDirectory &) = delete;
    TemporaryDirectory &operator=(const TemporaryDirectory &) = delete;
    std::string file(const std::string &name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

// Written aside, then renamed over: a new inode every time, as operators should rotate keys.
inline void write_file_atomically(const std::string &path, const std::string &text)
{
    {
        std::ofstream out(path + ".tmp", std::ios::binary | std::ios::trunc);
        out << text;
    }
    if (std::rename((path + ".tmp").c_str(), path.c_str()) != 0)
        throw std::runtime_error("rename failed for " + path);
}

using PrivateKey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

// "RSA" (2048 bits) or "EC" (P-256), written as a PKCS#8 PEM at path; returns the key.
inline PrivateKey write_private_key(const std::string &path, const std::string &type)
{
    PrivateKey key(type == "RSA" ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048))
                                 : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"),
                   EVP_PKEY_free);
    std::unique_ptr<FILE, decltype(&std::fclose)> file(std::fopen(path.c_str(), "w"), std::fclose);
    if (!key || !file || PEM_write_PrivateKey(file.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
        throw std::runtime_error("cannot write a test key to " + path);
    return key;
}

// The public half as PEM text: the bytes the RS256->HS256 confusion uses as an HMAC secret.
inline std::string public_pem(EVP_PKEY *key)
{
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1)
        throw std::runtime_error("cannot write a public key");
    char *data = nullptr;
    const long length = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(length));
}

inline std::string jwks_of(const std::vector<const JwtSigner *> &signers)
{
    std::string text = "{\"keys\": [";
    for (std::size_t i = 0; i < signers.size(); ++i)
        text += (i ? ", " : "") + signers[i]->public_jwk_json();
    return text + "]}";
}

// What an API keys file stores for key.
inline std::string sha256_hex(const std::string &key)
{
    std::string hex;
    for (unsigned char byte : sha256(key)) {
        hex += "0123456789abcdef"[byte >> 4];
        hex += "0123456789abcdef"[byte & 15];
    }
    return hex;
}

// An API keys file for keys given as {name, scopes}: each key's text is "<name>-key"; scopes is the inside of the
// JSON array, quotes excluded at both ends ("claim", or "claim\", \"read").
inline std::string api_keys_json(const std::vector<std::pair<std::string, std::string>> &keys)
{
    std::string entries;
    for (const auto &[name, scopes] : keys)
        entries += std::string(entries.empty() ? "" : ", ") + R"({"name": ")" + name + R"(", "sha256": ")" +
                   sha256_hex(name + "-key") + R"(", "scopes": [")" + scopes + R"("]})";
    return R"({"keys": [)" + entries + "]}";
}

inline std::string base64url(const std::string &bytes)
{
    std::string out(jose_b64_enc_buf(bytes.data(), bytes.size(), nullptr, 0), '\0');
    jose_b64_enc_buf(bytes.data(), bytes.size(), out.data(), out.size());
    return out;
}

// header.payload. with an empty signature, the shape of an alg "none" token.
inline std::string unsigned_token(const std::string &header_json, const std::string &claims_json)
{
    return base64url(header_json) + "." + base64url(claims_json) + ".";
}

// A token whose protected header is exactly header_json, signed with HMAC-SHA-256 under secret.
inline std::string hs256_token(const std::string &header_json, const std::string &claims_json,
                               const std::string &secret)
{
    const std::string protected_part = base64url(header_json);
    JsonPtr jwk(json_pack("{s:s, s:o}", "kty", "oct", "k", jose_b64_enc(secret.data(), secret.size())));
    JsonPtr jws(json_pack("{s:s}", "payload", base64url(claims_json).c_str()));
    JsonPtr sig(json_pack("{s:s}", "protected", protected_part.c_str()));
    if (!jwk || !jws || !sig || !jose_jws_sig(nullptr, jws.get(), sig.get(), jwk.get()))
        throw std::runtime_error("cannot make an HS256 token");
    return protected_part + "." + json_string_value(json_object_get(jws.get(), "payload")) + "." +
           json_string_value(json_object_get(jws.get(), "signature"));
}

}  // namespace treasure::testing
