#include "auth/verification_keys.hpp"

#include <cstring>
#include <iostream>
#include <memory>
#include <set>
#include <stdexcept>

#include "auth/jose.hpp"
#include <openssl/evp.h>

#include "lib/reloading_file.hpp"

namespace treasure {

namespace {

constexpr int minimum_rsa_bits = 2048;
constexpr std::size_t minimum_hs256_secret_bytes = 32;

std::string string_member(const json_t *object, const char *name)
{
    const json_t *value = json_object_get(object, name);
    return json_is_string(value) ? std::string(json_string_value(value), json_string_length(value)) : std::string();
}

// The algorithm this JWK may verify, or the reason it may not be used.
std::optional<JwsAlg> usable_alg(const json_t *jwk, std::string &why)
{
    const std::string kty = string_member(jwk, "kty");
    std::optional<JwsAlg> alg;
    if (kty == "RSA")
        alg = JwsAlg::rs256;
    else if (kty == "EC" && string_member(jwk, "crv") == "P-256")
        alg = JwsAlg::es256;
    else {
        why = kty == "oct" ? "a symmetric key is never taken from a JWKS" : "only RSA and EC P-256 keys are used";
        return std::nullopt;
    }
    const json_t *declared = json_object_get(jwk, "alg");
    if (declared != nullptr && string_member(jwk, "alg") != jws_alg_name(*alg)) {
        why = "its alg does not match its key type";
        return std::nullopt;
    }
    const json_t *use = json_object_get(jwk, "use");
    if (use != nullptr && string_member(jwk, "use") != "sig") {
        why = "its use is not sig";
        return std::nullopt;
    }
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(jose_openssl_jwk_to_EVP_PKEY(quiet_jose_cfg(), jwk),
                                                            EVP_PKEY_free);
    if (!key) {
        why = "its parameters do not make a key";
        return std::nullopt;
    }
    if (*alg == JwsAlg::rs256 && EVP_PKEY_get_bits(key.get()) < minimum_rsa_bits) {
        why = "an RSA key under 2048 bits";
        return std::nullopt;
    }
    return alg;
}

// A copy of the JWK with its private parts dropped and its algorithm pinned.
JsonPtr public_copy(const json_t *jwk, JwsAlg alg)
{
    JsonPtr copy(json_deep_copy(jwk));
    if (!copy || !jose_jwk_pub(quiet_jose_cfg(), copy.get()))
        return nullptr;
    const auto name = jws_alg_name(alg);
    if (json_object_set_new(copy.get(), "alg", json_stringn(name.data(), name.size())) != 0)
        return nullptr;
    return copy;
}

}  // namespace

std::optional<JwsAlg> jws_alg_named(std::string_view name)
{
    if (name == "RS256")
        return JwsAlg::rs256;
    if (name == "ES256")
        return JwsAlg::es256;
    if (name == "HS256")
        return JwsAlg::hs256;
    return std::nullopt;
}

std::string_view jws_alg_name(JwsAlg alg)
{
    switch (alg) {
    case JwsAlg::rs256: return "RS256";
    case JwsAlg::es256: return "ES256";
    case JwsAlg::hs256: return "HS256";
    }
    return "";
}

JwksKeys parse_jwks_file(const std::string &path)
{
    const std::string text = read_whole_file(path, "JWKS");
    json_error_t error;
    JsonPtr document(json_loadb(text.data(), text.size(), JSON_REJECT_DUPLICATES, &error));
    if (!document)
        throw std::runtime_error("JWKS file " + path + " is not valid JSON: " + error.text);
    const json_t *keys = json_object_get(document.get(), "keys");
    if (!json_is_object(document.get()) || !json_is_array(keys))
        throw std::runtime_error("JWKS file " + path + " must look like {\"keys\": [{\"kty\": ...}]}");
    JwksKeys result;
    std::set<std::string> kids;
    std::size_t index = 0;
    const json_t *jwk = nullptr;
    json_array_foreach(keys, index, jwk)
    {
        const std::string kid = string_member(jwk, "kid");
        if (!json_is_object(jwk) || kid.empty()) {
            result.ignored.push_back("key #" + std::to_string(index) + ": no kid");
            continue;
        }
        if (!kids.insert(kid).second)
            throw std::runtime_error("JWKS file " + path + ": two keys have the kid " + kid);
        std::string why;
        const auto alg = usable_alg(jwk, why);
        JsonPtr copy = alg ? public_copy(jwk, *alg) : nullptr;
        if (!copy) {
            result.ignored.push_back(kid + ": " + (why.empty() ? "cannot be copied" : why));
            continue;
        }
        result.by_kid.emplace(kid, VerificationKey{*alg, share_json(std::move(copy))});
    }
    for (const auto &ignored : result.ignored)
        std::cerr << "treasure: JWKS file " << path << ": ignoring key " << ignored << "\n";
    return result;
}

VerificationKey parse_hs256_secret_file(const std::string &path)
{
    std::string secret = read_whole_file(path, "HS256 secret");
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r'))
        secret.pop_back();
    if (secret.size() < minimum_hs256_secret_bytes)
        throw std::runtime_error("HS256 secret file " + path + " must hold at least 32 bytes");
    JsonPtr jwk(
        json_pack("{s:s, s:o, s:s}", "kty", "oct", "k", jose_b64_enc(secret.data(), secret.size()), "alg", "HS256"));
    if (!jwk)
        throw std::runtime_error("HS256 secret file " + path + ": cannot make a key of it");
    return VerificationKey{JwsAlg::hs256, share_json(std::move(jwk))};
}

}  // namespace treasure
