#pragma once
// The keys a JWT may be verified with, each bound to the one algorithm its type allows: RS256 for an RSA key
// (2048 bits or more), ES256 for an EC key on P-256, and HS256 only for the secret of --jwt-hs256-secret-file.
// Binding the algorithm to the key here, not trusting the token's header, is what stops the RS256->HS256
// confusion (and ES256 with a key on another curve, which libjose 11 itself would accept).
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/jansson_ptr.hpp"

namespace treasure {

enum class JwsAlg { rs256, es256, hs256 };

// Only the algorithms this layer accepts; "none" and every other name give nullopt.
std::optional<JwsAlg> jws_alg_named(std::string_view name);
std::string_view jws_alg_name(JwsAlg alg);

struct VerificationKey {
    JwsAlg alg;
    SharedJson jwk;  // public parts only (or the oct secret), with "alg" set to alg
};

struct JwksKeys {
    std::map<std::string, VerificationKey, std::less<>> by_kid;
    std::vector<std::string> ignored;  // "kid: why" for each key that cannot be used (reported, not fatal)
};

// Reads a JWKS (RFC 7517 §5: {"keys": [JWK, ...]}).  Throws std::runtime_error when the file is not a JWKS or
// two keys share a kid; a key of a type or size this layer does not accept (oct among them: a JWKS is public)
// is left out and named in `ignored`.
JwksKeys parse_jwks_file(const std::string &path);

// The HS256 secret: the file's bytes without a trailing newline, at least 32 of them (RFC 7518 §3.2).
// Throws std::runtime_error otherwise.
VerificationKey parse_hs256_secret_file(const std::string &path);

}  // namespace treasure
