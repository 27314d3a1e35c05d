#pragma once
// The registered claims of a verified JWT checked against the gateway's rules (RFC 7519 §4.1), and the player
// it speaks for.  Only ever called once the signature has been verified.
//   exp  required; refused when now >= exp + leeway (exactly at exp + leeway is expired);
//   nbf  optional; refused when now < nbf - leeway (exactly at nbf - leeway is valid);
//   iss  must equal `issuer` when one is set;
//   aud  must equal `audience`, or be an array containing it, when one is set;
//   the player claim (`sub` unless told otherwise) is a positive 64-bit integer, as a JSON integer or a decimal
//   string without sign or leading zeros.
#include <cstdint>
#include <string>
#include <variant>

#include <jansson.h>

#include "auth/caller.hpp"

namespace treasure {

struct JwtClaimRules {
    std::string issuer;    // empty: not checked
    std::string audience;  // empty: not checked
    std::int64_t leeway_seconds = 30;
    std::string player_claim = "sub";
};

struct VerifiedClaims {
    std::int64_t player_id = 0;
    std::int64_t expires_at = 0;  // exp, whole seconds since the epoch (rounded down)
};

std::variant<VerifiedClaims, RefusalReason> check_jwt_claims(const json_t *claims, const JwtClaimRules &rules,
                                                             std::int64_t now_seconds);

// The exp rule alone, for a token whose other claims were checked when it was first verified.
bool jwt_expired(std::int64_t expires_at, std::int64_t leeway_seconds, std::int64_t now_seconds);

}  // namespace treasure
