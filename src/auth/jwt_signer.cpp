#include "auth/jwt_signer.hpp"

#include <cstdio>
#include <memory>
#include <stdexcept>

#include "auth/jose.hpp"
#include <openssl/evp.h>
#include <openssl/pem.h>

namespace treasure {

namespace {

struct CharFree {
    void operator()(char *text) const { std::free(text); }
};

std::string dumped(const json_t *value)
{
    std::unique_ptr<char, CharFree> text(json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS));
    if (!text)
        throw std::runtime_error("cannot write JSON");
    return text.get();
}

std::string string_member(const json_t *object, const char *name)
{
    const json_t *value = json_object_get(object, name);
    if (!json_is_string(value))
        throw std::runtime_error(std::string("signed JWS has no ") + name);
    return json_string_value(value);
}

JsonPtr jwk_from_pem(const std::string &path, JwsAlg alg)
{
    std::unique_ptr<FILE, decltype(&std::fclose)> file(std::fopen(path.c_str(), "r"), std::fclose);
    if (!file)
        throw std::runtime_error("cannot open private key " + path);
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(PEM_read_PrivateKey(file.get(), nullptr, nullptr, nullptr),
                                                            EVP_PKEY_free);
    if (!key)
        throw std::runtime_error("private key " + path + " is not a PEM private key");
    const bool fits = alg == JwsAlg::rs256 ? EVP_PKEY_is_a(key.get(), "RSA") == 1 : EVP_PKEY_is_a(key.get(), "EC") == 1;
    JsonPtr jwk(fits ? jose_openssl_jwk_from_EVP_PKEY(quiet_jose_cfg(), key.get()) : nullptr);
    const json_t *crv = jwk ? json_object_get(jwk.get(), "crv") : nullptr;
    if (!jwk || (alg == JwsAlg::es256 && !(json_is_string(crv) && std::string(json_string_value(crv)) == "P-256")))
        throw std::runtime_error("private key " + path + " is not a key for " + std::string(jws_alg_name(alg)) +
                                 " (RS256: RSA; ES256: EC on P-256)");
    return jwk;
}

}  // namespace

JwtSigner::JwtSigner(const std::string &private_key_pem_path, std::string kid, JwsAlg alg)
    : private_jwk_(jwk_from_pem(private_key_pem_path, alg)), kid_(std::move(kid)), alg_(alg)
{
    if (alg == JwsAlg::hs256)
        throw std::runtime_error("JwtSigner mints RS256 or ES256 tokens only");
    const auto name = jws_alg_name(alg_);
    json_object_set_new(private_jwk_.get(), "alg", json_stringn(name.data(), name.size()));
}

std::string JwtSigner::sign(const std::string &claims_json) const
{
    json_error_t error;
    JsonPtr claims(json_loadb(claims_json.data(), claims_json.size(), JSON_REJECT_DUPLICATES, &error));
    if (!claims)
        throw std::runtime_error(std::string("claims are not JSON: ") + error.text);
    const auto name = jws_alg_name(alg_);
    JsonPtr jws(json_pack("{s:o}", "payload", jose_b64_enc_dump(claims.get())));
    JsonPtr signature(json_pack("{s:{s:s%, s:s, s:s}}", "protected", "alg", name.data(), name.size(), "kid",
                                kid_.c_str(), "typ", "JWT"));
    if (!jws || !signature || !jose_jws_sig(quiet_jose_cfg(), jws.get(), signature.get(), private_jwk_.get()))
        throw std::runtime_error("cannot sign the token");
    return string_member(jws.get(), "protected") + "." + string_member(jws.get(), "payload") + "." +
           string_member(jws.get(), "signature");
}

std::string JwtSigner::mint(const PlayerTokenClaims &claims) const
{
    JsonPtr payload(json_pack("{s:s, s:I, s:I}", "sub", std::to_string(claims.player_id).c_str(), "iat",
                              static_cast<json_int_t>(claims.issued_at), "exp",
                              static_cast<json_int_t>(claims.issued_at + claims.ttl_seconds)));
    if (!payload)
        throw std::runtime_error("cannot build the claims");
    if (!claims.issuer.empty())
        json_object_set_new(payload.get(), "iss", json_string(claims.issuer.c_str()));
    if (!claims.audience.empty())
        json_object_set_new(payload.get(), "aud", json_string(claims.audience.c_str()));
    return sign(dumped(payload.get()));
}

JsonPtr JwtSigner::public_jwk() const
{
    JsonPtr jwk(json_deep_copy(private_jwk_.get()));
    if (!jwk || !jose_jwk_pub(quiet_jose_cfg(), jwk.get()))
        throw std::runtime_error("cannot take the public key");
    json_object_set_new(jwk.get(), "kid", json_string(kid_.c_str()));
    json_object_set_new(jwk.get(), "use", json_string("sig"));
    return jwk;
}

std::string JwtSigner::public_jwk_json() const { return dumped(public_jwk().get()); }

std::string JwtSigner::public_jwks_json() const
{
    JsonPtr jwks(json_pack("{s:[o]}", "keys", public_jwk().release()));
    if (!jwks)
        throw std::runtime_error("cannot build the JWKS");
    return dumped(jwks.get());
}

}  // namespace treasure
