#pragma once
// Mints player JWTs (compact JWS) from a PEM private key, through libjose like the verifier: for `treasure
// token`, so a person can try an authenticated gateway with curl, and for the load generator and the tests.
// RS256 needs an RSA key, ES256 an EC key on P-256.  The key is read once; minting is thread-safe.
#include <cstdint>
#include <string>

#include "auth/jansson_ptr.hpp"
#include "auth/verification_keys.hpp"

namespace treasure {

struct PlayerTokenClaims {
    std::int64_t player_id = 0;  // becomes "sub", as a decimal string
    std::int64_t issued_at = 0;  // iat, seconds since the epoch
    std::int64_t ttl_seconds = 3600;
    std::string issuer;    // iss, omitted when empty
    std::string audience;  // aud, omitted when empty
};

class JwtSigner {
public:
    // Throws std::runtime_error when the PEM cannot be read or its key does not fit alg (RS256 or ES256).
    JwtSigner(const std::string &private_key_pem_path, std::string kid, JwsAlg alg);

    std::string mint(const PlayerTokenClaims &claims) const;
    // Signs any claims object given as JSON text (the tests use it for tokens the rules must refuse).
    std::string sign(const std::string &claims_json) const;

    // The public half as a JWK with kid, alg and use, and a JWKS of it: what the verifier's --jwks reads.
    std::string public_jwk_json() const;
    std::string public_jwks_json() const;

private:
    JsonPtr public_jwk() const;

    JsonPtr private_jwk_;
    std::string kid_;
    JwsAlg alg_;
};

}  // namespace treasure
